"""Paying a Checkout Session in ``payment`` mode (the hosted page and
``POST /_test/checkout/sessions/<id>/pay``).

The fields are the subscription page's (:func:`~.checkout.read_payment`: ``payment_method``,
``card``, ``ideal_bank``, ``outcome``, ``email``, ``name``, ``line1``, ``postal_code``,
``city``, ``country``...) and ``shipping_rate`` (default: the first option). Everything is
checked first, so a refused payment leaves no trace; then, at once and owned by the
session's account: the PaymentMethod, the PaymentIntent and its Charge, the platform's
ApplicationFee (when the session has an ``application_fee_amount``), the completed session
and their events.
"""

from typing import Any

from . import accounts, objects, payment_methods, shipping
from .checkout import Payment, check_method
from .errors import invalid
from .params import Params
from .payment_objects import application_fee, charge, payment_intent
from .payment_sessions import apply_totals
from .store import Store
from .webhooks import Webhooks


def read_shipping_rate(params: Params) -> str | None:
    return (params.text("shipping_rate") or "").strip() or None


def pay(
    store: Store, webhooks: Webhooks, session: dict[str, Any], payment: Payment, rate_id: str | None
) -> None:
    """Pay the open session as its account (see the module's docstring)."""
    with store.scoped(store.owner(session["id"])):
        _pay(store, webhooks, session, payment, rate_id)


def _pay(
    store: Store, webhooks: Webhooks, session: dict[str, Any], payment: Payment, rate_id: str | None
) -> None:
    at, account_id = store.now(), store.owner(session["id"])
    internal = store.internal[session["id"]]
    intent_data = internal["payment_intent_data"]
    option = _check(store, session, payment, rate_id)
    email = _email(store, session, payment)
    address = _shipping_address(session, payment)
    totals: dict[str, Any] = {}
    apply_totals(totals, internal["line_items"], option)
    fee_amount = intent_data["application_fee_amount"]
    if fee_amount is not None and fee_amount > totals["amount_total"]:
        raise invalid(
            "The application fee cannot be greater than the amount of the payment.", param="shipping_rate"
        )
    customer_id = session["customer"] or (
        _new_customer(store, webhooks, email, payment, address, at)
        if session["customer_creation"] == "always"
        else None
    )
    method = store.add(_payment_method(customer_id, payment, email, at))
    if payment.method == "card":
        store.internal[method["id"]]["number"] = payment_methods.normalize_number(payment.card)
    shipping_details = address and {
        "address": address,
        "carrier": None,
        "name": payment.name,
        "phone": None,
        "tracking_number": None,
    }
    intent = store.add(
        payment_intent(
            amount=totals["amount_total"],
            currency=session["currency"],
            application=store.application if account_id else None,
            application_fee_amount=fee_amount,
            customer=customer_id,
            description=intent_data["description"],
            metadata=dict(intent_data["metadata"]),
            payment_method=method,
            payment_method_types=list(session["payment_method_types"]),
            receipt_email=intent_data["receipt_email"],
            shipping=shipping_details,
            statement_descriptor_suffix=intent_data["statement_descriptor_suffix"],
            created=at,
        )
    )
    paid = store.add(charge(intent=intent, payment_method=method, fee_id=None, created=at))
    intent["latest_charge"] = paid["id"]
    fee = None
    if account_id is not None and fee_amount is not None:
        fee = application_fee(
            account=account_id,
            amount=fee_amount,
            application=store.application,
            charge_id=paid["id"],
            currency=session["currency"],
            created=at,
        )
        store.add(fee, account=None)  # the platform's
        paid["application_fee"] = fee["id"]
    session.update(
        totals, status="complete", payment_status="paid", payment_intent=intent["id"], customer=customer_id
    )
    session["shipping_cost"] = option and shipping.shipping_cost(option)
    session["customer_details"] = {
        "address": address,
        "business_name": None,
        "email": email,
        "individual_name": None,
        "name": payment.name or None,
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }
    session["collected_information"] = {
        "business_name": None,
        "individual_name": None,
        "shipping_details": address and {"address": address, "name": payment.name},
    }
    created_view = {
        **intent,
        "amount_received": 0,
        "latest_charge": None,
        "payment_method": None,
        "status": "requires_payment_method",
    }
    webhooks.emit(created_view, "created", at)
    webhooks.emit(paid, "succeeded", at)
    webhooks.emit(intent, "succeeded", at)
    if fee is not None:
        webhooks.emit(fee, "created", at)
    webhooks.emit(session, "completed", at)


def _check(
    store: Store, session: dict[str, Any], payment: Payment, rate_id: str | None
) -> dict[str, Any] | None:
    """Refuse what Stripe would refuse; returns the chosen shipping option."""
    if session["status"] != "open":
        raise invalid(f"This Checkout Session is {session['status']} and can no longer be paid.")
    if payment.method not in session["payment_method_types"]:
        raise invalid(f"This Checkout Session does not accept {payment.method}.", param="payment_method")
    accounts.require_charges(store)
    if not _email(store, session, payment):
        raise invalid("Enter your email address.", param="email")
    options = session["shipping_options"]
    option = next((o for o in options if o["shipping_rate"] == rate_id), None) if rate_id else None
    if rate_id and option is None:
        raise invalid("Choose one of the offered shipping options.", param="shipping_rate")
    check_method(payment)
    return option or (options[0] if options else None)


def _email(store: Store, session: dict[str, Any], payment: Payment) -> str | None:
    """The email entered, else the session's ``customer_email`` or its customer's."""
    customer = store.get("customer", session["customer"] or "")
    return payment.email or session["customer_email"] or (customer and customer["email"])


def _shipping_address(session: dict[str, Any], payment: Payment) -> dict[str, Any] | None:
    collection = session["shipping_address_collection"]
    if collection is None:
        return None
    address = payment.address or {}
    if not all(
        [
            payment.name,
            address.get("line1"),
            address.get("postal_code"),
            address.get("city"),
            address.get("country"),
        ]
    ):
        raise invalid("Enter your shipping address.", param="shipping_details")
    if address["country"] not in collection["allowed_countries"]:
        raise invalid(f"We cannot ship to {address['country']}.", param="country")
    return dict(address)


def _new_customer(
    store: Store, webhooks: Webhooks, email: str | None, payment: Payment, address: dict | None, at: int
) -> str:
    customer = objects.customer(email=email, name=payment.name or None, metadata={}, created=at)
    if address:
        customer["shipping"] = {"address": address, "name": payment.name, "phone": None}
    webhooks.emit(store.add(customer), "created", at)
    return customer["id"]


def _payment_method(customer_id: str | None, payment: Payment, email: str | None, at: int) -> dict[str, Any]:
    details = {"address": None, "email": email, "name": payment.name or None}
    if payment.method == "card":
        return payment_methods.card(customer_id, payment.card, details, at)  # type: ignore[arg-type]
    if payment.method == "ideal":
        return payment_methods.ideal(customer_id, payment.ideal_bank, details, at)  # type: ignore[arg-type]
    return payment_methods.bancontact(customer_id, details, at)  # type: ignore[arg-type]
