"""Checkout Sessions in ``payment`` mode: one-off purchases with line items (prices or
``price_data``), per-line tax rates, shipping options and, made with a ``Stripe-Account``
header, an application fee for the platform (a direct charge). Paying them is in
:mod:`.payments`.

Amounts as Stripe computes them with manual tax rates: an inclusive rate's tax is contained
in the line's amount, an exclusive one's added to it; ``amount_subtotal`` sums the lines as
priced, ``amount_total`` adds exclusive tax and the shipping option (the first one until the
buyer chooses).
"""

import copy
import re
from decimal import Decimal
from typing import Any

from . import accounts, checkout_objects, checkout_params, objects, shipping, tax
from .api_catalog import TAX_BEHAVIORS
from .billing_objects import format_amount
from .errors import invalid
from .params import Params
from .store import Store
from .webhooks import Webhooks

MAX_QUANTITY = 999_999
FEE_WITHOUT_ACCOUNT = (
    "Can only apply an application_fee_amount when the PaymentIntent is attempting a direct "
    "payment (using an OAuth key or Stripe-Account header) or destination payment (using "
    "`transfer_data[destination]`)."
)
DELAYED_METHODS = ("sepa_debit",)  # not offered in payment mode by the local Stripe


def create(params: Params, store: Store, webhooks: Webhooks, base_url: str) -> dict[str, Any]:
    """Check a ``mode=payment`` create request like Stripe, then store and return the session."""
    at, account_id = store.now(), store.account if isinstance(store.account, str) else None
    if "subscription_data" in params:
        raise invalid(
            "You can only specify `subscription_data` in `subscription` mode.", param="subscription_data"
        )
    intent = _intent_data(params, account_id)
    accounts.require_charges(store)
    records = params.records("line_items", required=True)
    if not records:
        raise invalid("`line_items` must contain at least one item.", param="line_items")
    lines = [_line(record, store, at) for record in records]
    currency = lines[0][0]["currency"]
    if any(price["currency"] != currency for price, *_ in lines):
        raise invalid("All line items must have the same currency.", param="line_items")
    customer_id, customer_email = params.text("customer"), params.text("customer_email")
    if customer_id and customer_email:
        raise invalid(
            "You may only specify one of these parameters: customer, customer_email.", param="customer_email"
        )
    if customer_id and store.get("customer", customer_id) is None:
        raise invalid(f"No such customer: '{customer_id}'", param="customer", code="resource_missing")
    method_types = checkout_params.read_method_types(params, currency, store.settings)
    if delayed := [name for name in method_types if name in DELAYED_METHODS]:
        raise invalid(
            f"The local Stripe does not offer {', '.join(delayed)} in `payment` mode.",
            param="payment_method_types",
        )
    options, new_rates = shipping.read_options(params, currency, store, at)
    items = [_item(price, product, quantity, rates) for price, product, quantity, rates in lines]
    session = checkout_objects.checkout_session(
        mode="payment",
        customer_id=customer_id,
        customer_email=customer_email,
        client_reference_id=params.text("client_reference_id"),
        metadata=params.metadata(),
        success_url=params.text("success_url"),
        cancel_url=params.text("cancel_url"),
        allow_promotion_codes=None,
        currency=currency,
        amount=0,
        base_url=base_url,
        created=at,
        expires_at=checkout_params.expires_at(params),
        locale=checkout_params.read_locale(params),
    )
    session.update(
        customer_creation=None if customer_id else _customer_creation(params),
        invoice_creation=_invoice_creation(),
        payment_method_collection="if_required",
        payment_method_types=method_types,
        shipping_address_collection=_address_collection(params),
        shipping_options=options,
        submit_type=params.choice("submit_type", ("auto", "book", "donate", "pay", "subscribe"))
        if "submit_type" in params
        else None,
    )
    apply_totals(session, items, options[0] if options else None)
    fee = intent["application_fee_amount"]
    if fee is not None and fee > session["amount_total"]:
        raise invalid(
            f"The application fee ({format_amount(fee, currency)}) cannot be greater than the "
            f"amount of the payment ({format_amount(session['amount_total'], currency)}).",
            param="payment_intent_data[application_fee_amount]",
        )
    for price, product, _, _ in lines:  # made from price_data, now kept
        for obj in (product, price):
            if store.get(obj["object"], obj["id"], everywhere=True) is None:
                webhooks.emit(store.add(obj), "created", at)
    for rate in new_rates:
        store.add(rate)
    store.add(session)
    store.internal[session["id"]].update(line_items=items, payment_intent_data=intent)
    return session


def _intent_data(params: Params, account_id: str | None) -> dict[str, Any]:
    data = params.nested("payment_intent_data")
    fee = data.integer("application_fee_amount")
    if fee is not None and account_id is None:
        raise invalid(FEE_WITHOUT_ACCOUNT, param="payment_intent_data[application_fee_amount]")
    suffix = data.text("statement_descriptor_suffix") or None
    if suffix is not None and (len(suffix) > 22 or re.search(r"[<>\\'\"*]", suffix)):
        raise invalid(
            "The statement descriptor suffix must be at most 22 characters, without <>\\'\"*.",
            param=data.param("statement_descriptor_suffix"),
        )
    return {
        "application_fee_amount": fee,
        "description": data.text("description") or None,
        "metadata": data.metadata(),
        "receipt_email": data.text("receipt_email") or None,
        "statement_descriptor_suffix": suffix,
    }


def _line(record: Params, store: Store, at: int) -> tuple[dict[str, Any], dict[str, Any], int, list]:
    """``(price, product, quantity, tax rates)``; made from ``price_data``, they are not kept yet."""
    quantity = record.integer("quantity", required=True, minimum=1) or 0
    if quantity > MAX_QUANTITY:
        raise invalid(
            f"Invalid {record.param('quantity')}: must be at most {MAX_QUANTITY}.",
            param=record.param("quantity"),
        )
    price_id, has_data = record.text("price"), "price_data" in record
    if bool(price_id) == has_data:
        raise invalid(
            "You must specify either `price` or `price_data` for each line item.", param=record.param("price")
        )
    if price_id:
        price = store.get("price", price_id)
        if price is None:
            raise invalid(
                f"No such price: '{price_id}'", param=record.param("price"), code="resource_missing"
            )
        if not price["active"]:
            raise invalid(f"The price `{price_id}` is not active.", param=record.param("price"))
        product = store.require("product", price["product"])
    else:
        price, product = _price_data(record.nested("price_data"), store, at)
    if price["recurring"] is not None:
        raise invalid(
            "You specified `payment` mode but passed a recurring price. Either switch to "
            "`subscription` mode or use only one-time prices.",
            param=record.param("price"),
        )
    rates = [_tax_rate(store, rate_id, record.param("tax_rates")) for rate_id in record.strings("tax_rates")]
    return price, product, quantity, rates


def _price_data(data: Params, store: Store, at: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new inline price (inactive, as Stripe makes them) and its product (new unless given)."""
    if "recurring" in data:
        raise invalid(
            "You specified `payment` mode but passed a recurring price. Either switch to "
            "`subscription` mode or use only one-time prices.",
            param=data.param("recurring"),
        )
    product_id = data.text("product")
    if product_id:
        product = store.get("product", product_id)
        if product is None:
            raise invalid(
                f"No such product: '{product_id}'", param=data.param("product"), code="resource_missing"
            )
    else:
        given = data.nested("product_data")
        product = objects.product(
            name=given.text("name", required=True) or "",
            description=given.text("description"),
            metadata=given.metadata(),
            active=True,
            created=at,
        )
        product["images"] = given.strings("images")
        product["tax_code"] = given.text("tax_code") or None
    price = objects.price(
        product_id=product["id"],
        unit_amount=data.integer("unit_amount", required=True) or 0,
        currency=(data.text("currency", required=True) or "").lower(),
        recurring=None,
        lookup_key=None,
        nickname=None,
        metadata={},
        active=False,
        created=at,
    )
    price["tax_behavior"] = data.choice("tax_behavior", TAX_BEHAVIORS, default="unspecified")
    return price, product


def _tax_rate(store: Store, rate_id: str, param: str) -> dict[str, Any]:
    rate = store.get("tax_rate", rate_id)
    if rate is None:
        raise invalid(f"No such tax rate: '{rate_id}'", param=param, code="resource_missing")
    if not rate["active"]:
        raise invalid(f"The tax rate `{rate_id}` is inactive and cannot be applied.", param=param)
    return rate


def _item(price: dict[str, Any], product: dict[str, Any], quantity: int, rates: list[dict]) -> dict[str, Any]:
    item = checkout_objects.checkout_line_item(price, quantity, product["name"])
    amount = item["amount_subtotal"]
    item["taxes"] = line_taxes(amount, rates)
    exclusive = sum(entry["amount"] for entry in item["taxes"] if not entry["rate"]["inclusive"])
    item.update(amount_tax=sum(entry["amount"] for entry in item["taxes"]), amount_total=amount + exclusive)
    return item


def line_taxes(amount: int, rates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The taxes of a line of ``amount``: inclusive rates' taxes contained in it (together),
    exclusive ones' on the amount without them."""
    inclusive = [rate for rate in rates if rate["inclusive"]]
    contained = tax.tax_on(amount, sum(rate["percentage"] for rate in inclusive), "inclusive")
    net = amount - contained
    taxes, left = [], contained
    for rate in rates:
        if rate["inclusive"]:
            share = (
                left
                if rate is inclusive[-1]
                else tax.round_half_up(Decimal(net) * Decimal(str(rate["percentage"])) / 100)
            )
            left -= share
        else:
            share = tax.tax_on(net, rate["percentage"], "exclusive")
        taxes.append(
            {"amount": share, "rate": copy.deepcopy(rate), "taxability_reason": None, "taxable_amount": net}
        )
    return taxes


def apply_totals(session: dict[str, Any], items: list[dict[str, Any]], option: dict[str, Any] | None) -> None:
    """The session's amounts for its items and shipping ``option`` (none: no shipping)."""
    subtotal = sum(item["amount_subtotal"] for item in items)
    exclusive = sum(item["amount_total"] - item["amount_subtotal"] for item in items)
    shipping_amount = option["shipping_amount"] if option else 0
    session.update(amount_subtotal=subtotal, amount_total=subtotal + exclusive + shipping_amount)
    session["total_details"] = {
        "amount_discount": 0,
        "amount_shipping": shipping_amount,
        "amount_tax": sum(item["amount_tax"] for item in items),
    }


def _customer_creation(params: Params) -> str:
    return params.choice("customer_creation", ("always", "if_required"), default="if_required")


def _address_collection(params: Params) -> dict[str, Any] | None:
    if "shipping_address_collection" not in params:
        return None
    countries = params.nested("shipping_address_collection").strings("allowed_countries")
    if not countries:
        raise invalid(
            "Missing required param: shipping_address_collection[allowed_countries].",
            param="shipping_address_collection[allowed_countries]",
            code="parameter_missing",
        )
    for country in countries:
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise invalid(
                f"Invalid country: {country}.", param="shipping_address_collection[allowed_countries]"
            )
    return {"allowed_countries": list(dict.fromkeys(countries))}


def _invoice_creation() -> dict[str, Any]:
    return {
        "enabled": False,
        "invoice_data": {
            "account_tax_ids": None,
            "custom_fields": None,
            "description": None,
            "footer": None,
            "issuer": None,
            "metadata": {},
            "rendering_options": None,
        },
    }
