"""Paying a Checkout Session: what the buyer entered, its checks, and what payment creates.

The hosted page and ``POST /_test/checkout/sessions/<id>/pay`` take the same fields:
``payment_method`` (card, ideal, sepa_debit, bancontact; default card), ``card``,
``ideal_bank`` and ``outcome`` (authorize | fail), ``iban``, ``name``, ``email``, the billing
address ``line1``/``line2``/``postal_code``/``city``/``state``/``country`` and, when tax IDs
are collected, ``business`` (a checkbox), ``business_name`` and ``tax_id``; with
``allow_promotion_codes``, ``promotion_code`` (the code a customer types). Everything is
checked before anything is created, so a refused payment leaves no trace.
"""

from dataclasses import dataclass
from typing import Any

from . import billing_objects, discounts, objects, payment_methods, tax, tax_ids, trials
from .billing import PAID, PROCESSING, Billing
from .checkout_params import collects_address
from .errors import StripeError, card_declined, invalid
from .params import Params
from .periods import add_interval
from .totals import line_discount

ADDRESS_FIELDS = ("line1", "line2", "postal_code", "city", "state", "country")


@dataclass
class Payment:
    method: str = "card"
    card: str = ""
    iban: str = ""
    ideal_bank: str = ""
    outcome: str = "authorize"
    name: str = ""
    email: str | None = None
    address: dict[str, Any] | None = None
    business: bool = False
    business_name: str = ""
    tax_id: str = ""
    promotion_code: str = ""


def read_payment(params: Params) -> Payment:
    def text(name: str) -> str:
        return (params.text(name) or "").strip()

    address = None
    if any(text(name) for name in ADDRESS_FIELDS):
        address = {name: text(name) or None for name in ADDRESS_FIELDS}
        address["country"] = address["country"] and address["country"].upper()
        address = dict(sorted(address.items()))
    return Payment(
        method=text("payment_method") or "card",
        card=text("card"),
        iban=text("iban"),
        ideal_bank=text("ideal_bank"),
        outcome=text("outcome") or "authorize",
        name=text("name"),
        email=text("email") or None,
        address=address,
        business=bool(params.flag("business", default=False)),
        business_name=text("business_name"),
        tax_id=text("tax_id"),
        promotion_code=text("promotion_code"),
    )


def _check(session: dict[str, Any], payment: Payment, internal: dict[str, Any]) -> tuple[str, str] | None:
    """Refuse what Stripe would refuse; returns the normalized (tax ID, its country)."""
    if session["status"] != "open":
        raise invalid(f"This Checkout Session is {session['status']} and can no longer be paid.")
    skip = payment.method == "none" and trials.may_skip_payment_method(session, internal)
    if payment.method not in session["payment_method_types"] and not skip:
        raise invalid(f"This Checkout Session does not accept {payment.method}.", param="payment_method")
    if collects_address(session):
        address = payment.address or {}
        if not all([payment.name, address.get("line1"), address.get("postal_code"), address.get("city"),
                    address.get("country")]):  # fmt: skip
            raise invalid("Enter your billing address.", param="billing_details")
        if session["automatic_tax"]["enabled"] and not tax.known_country(address["country"]):
            raise tax.location_invalid()
    check_method(payment)
    collection = session["tax_id_collection"]
    if not (collection["enabled"] and payment.business):
        return None
    if not payment.business_name:
        raise invalid("Enter the name of your business.", param="business_name")
    if not payment.tax_id:
        if collection["required"] == "if_supported":
            raise invalid("Enter your business's tax ID.", param="tax_id_collection")
        return None
    value, country = tax_ids.validate("eu_vat", payment.tax_id, "tax_id_collection")
    return value, country


def check_method(payment: Payment) -> None:
    """Refuse a declined card, a malformed IBAN, a missing bank or a failing test bank."""
    if payment.method == "card" and not payment_methods.is_good_card(payment.card):
        raise card_declined()
    if payment.method == "sepa_debit":
        payment.iban = payment_methods.check_iban(payment.iban)
        if not payment.name:
            raise invalid("Enter the account holder's name.", param="billing_details[name]")
    if payment.method == "ideal" and payment.ideal_bank not in payment_methods.IDEAL_BANKS:
        raise invalid("Select your bank.", param="ideal_bank")
    if payment.method in ("ideal", "bancontact"):
        if payment.outcome not in ("authorize", "fail"):
            raise invalid("Invalid outcome: must be one of authorize, fail.", param="outcome")
        if payment.outcome == "fail":
            raise StripeError(
                "The payment was not authorized by your bank.",
                status=402,
                code="payment_intent_payment_attempt_failed",
            )


def complete_checkout(billing: Billing, session: dict[str, Any], payment: Payment) -> None:
    """Pay an open session: customer, subscription, first invoice charged, then the events."""
    store, at = billing.store, billing.store.now()
    tax_id = _check(session, payment, store.internal[session["id"]])
    redeemed = discounts.checkout_discounts(store, session, payment.promotion_code, session["customer"], at)
    internal = store.internal[session["id"]]
    customer = _customer(billing, session, payment, at)
    if tax_id is not None:
        created = store.add(tax_ids.tax_id(customer_id=customer["id"], tax_type="eu_vat", value=tax_id[0],
                                           country=tax_id[1], business_name=payment.business_name,
                                           created=at))  # fmt: skip
        billing.webhooks.emit(created, "created", at)
    method = _payment_method(billing, customer, payment, at) if payment.method != "none" else None
    lines = [
        (store.require("price", item["price"]["id"]), item["quantity"]) for item in internal["line_items"]
    ]
    recurring = lines[0][0]["recurring"]
    period = (at, add_interval(at, recurring["interval"], recurring["interval_count"]))
    subscription = store.add(
        billing_objects.subscription(
            customer_id=customer["id"],
            lines=lines,
            metadata=dict(internal["subscription_metadata"]),
            period=period,
            created=at,
        )
    )
    subscription["default_payment_method"] = method and method["id"]
    if internal.get("trial_period_days"):
        trials.start(subscription, internal, at)
    if internal.get("explicit_types"):
        subscription["payment_settings"]["payment_method_types"] = list(session["payment_method_types"])
    if payment.method == "sepa_debit":
        subscription["status"] = "incomplete"
    if session["automatic_tax"]["enabled"]:
        subscription["automatic_tax"] = {
            "disabled_reason": None,
            "enabled": True,
            "liability": {"type": "self"},
        }
    subscription["discounts"] = [
        discounts.redeem(store, coupon, promo, customer_id=customer["id"], subscription_id=subscription["id"],
                         at=at, checkout_session=session["id"])["id"]  # fmt: skip
        for coupon, promo in redeemed
    ]
    session["discounts"] = [{"coupon": coupon["id"], "promotion_code": promo and promo["id"]}
                            for coupon, promo in redeemed]  # fmt: skip
    trialing = subscription["status"] == "trialing"
    invoice = billing.create_invoice(subscription, "subscription_create", (at, at), at, trial=trialing)
    store.internal[invoice["id"]]["checkout_session"] = session["id"]
    subscription["latest_invoice"] = invoice["id"]
    customer["currency"] = subscription["currency"]
    billing.webhooks.emit(subscription, "created", at)
    billing.issue(invoice, at)
    outcome = billing.attempt(invoice, at, scheduled=True, on_session=True)
    if payment.method in ("ideal", "bancontact") and outcome == PAID and method is not None:
        _generate_sepa_debit(billing, customer, subscription, method, payment, at)
    ids = [] if tax_id is None else [{"type": "eu_vat", "value": tax_id[0]}]
    _record(session, customer, invoice, payment, outcome, internal["line_items"], ids)
    billing.webhooks.emit(session, "completed", at)


def _customer(billing: Billing, session: dict[str, Any], payment: Payment, at: int) -> dict[str, Any]:
    """The session's customer (created if new), with the entered address and name saved."""
    store = billing.store
    name = payment.business_name if payment.business and payment.business_name else payment.name
    if not session["customer"]:
        customer = objects.customer(email=payment.email or session["customer_email"], name=name or None,
                                    metadata={}, created=at)  # fmt: skip
        customer["address"] = payment.address
        store.add(customer)
        billing.webhooks.emit(customer, "created", at)
        return customer
    customer = store.require("customer", session["customer"], "customer")
    update = store.internal[session["id"]]["customer_update"]
    with billing.webhooks.updating(customer, at):
        if payment.address and "auto" in (update["address"], update["shipping"]):
            customer["address"] = payment.address
        if name and update["name"] == "auto":
            customer["name"] = name
    return customer


def _payment_method(billing: Billing, customer: dict[str, Any], payment: Payment, at: int) -> dict[str, Any]:
    details = {"address": payment.address, "email": customer["email"], "name": payment.name or None}
    cid = customer["id"]
    if payment.method == "card":
        billing.store.declines.pop(cid, None)
        number = payment_methods.normalize_number(payment.card)
        return billing.add_payment_method(payment_methods.card(cid, number, details, at), {"number": number})
    if payment.method == "sepa_debit":
        method = payment_methods.sepa_debit(cid, payment.iban, details, at)
        return billing.add_payment_method(method, {"iban": payment.iban})
    if payment.method == "ideal":
        return billing.add_payment_method(payment_methods.ideal(cid, payment.ideal_bank, details, at), {})
    return billing.add_payment_method(payment_methods.bancontact(cid, details, at), {})


def _generate_sepa_debit(
    billing: Billing,
    customer: dict[str, Any],
    subscription: dict[str, Any],
    method: dict[str, Any],
    payment: Payment,
    at: int,
) -> None:
    """As Stripe does after an iDEAL/Bancontact payment: a SEPA method for what follows."""
    iban = (
        payment_methods.IDEAL_BANKS[payment.ideal_bank][1]
        if payment.method == "ideal"
        else payment_methods.BANCONTACT_IBAN
    )
    generated = payment_methods.sepa_debit(
        customer["id"], iban, method["billing_details"], at, charge=payment_methods.new_charge_id()
    )
    billing.add_payment_method(generated, {"iban": iban})
    subscription["default_payment_method"] = generated["id"]


def _record(
    session: dict[str, Any],
    customer: dict[str, Any],
    invoice: dict[str, Any],
    payment: Payment,
    outcome: str,
    line_items: list[dict[str, Any]],
    ids: list[dict[str, str]],
) -> None:
    amount_tax = tax.invoice_tax(invoice)
    for item, line in zip(line_items, invoice["lines"]["data"], strict=False):
        item_tax = sum(entry["amount"] for entry in line["taxes"])
        exclusive = sum(entry["amount"] for entry in line["taxes"] if entry["tax_behavior"] == "exclusive")
        discount = line_discount(line)
        item.update(amount_discount=discount, amount_tax=item_tax,
                    amount_total=item["amount_subtotal"] - discount + exclusive)  # fmt: skip
    if session["automatic_tax"]["enabled"]:
        session["automatic_tax"]["status"] = "complete"
    session.update(
        status="complete",
        payment_status="unpaid" if outcome == PROCESSING else "paid",
        customer=customer["id"],
        subscription=invoice["parent"]["subscription_details"]["subscription"],
        amount_subtotal=invoice["subtotal"],
        amount_total=invoice["total"],
        customer_details={
            "address": payment.address,
            "business_name": payment.business_name if payment.business else None,
            "email": customer["email"],
            "individual_name": payment.name if payment.business and payment.name else None,
            "name": (payment.business_name if payment.business else payment.name) or customer["name"],
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": ids,
        },
    )
    session["total_details"]["amount_tax"] = amount_tax
    discounted = sum(entry["amount"] for entry in invoice["total_discount_amounts"])
    session["total_details"]["amount_discount"] = discounted
