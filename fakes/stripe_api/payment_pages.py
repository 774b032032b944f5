"""The hosted Checkout page of a ``payment``-mode session: what :mod:`.pages` shows and does
at ``/checkout/pay/<id>`` for such a session (its template is in :mod:`.payment_template`)."""

from typing import Any

from flask import render_template

from . import accounts, payment_methods, tax
from .checkout import read_payment
from .errors import StripeError
from .params import Params
from .payments import pay, read_shipping_rate
from .state import fake


def render(
    session: dict[str, Any],
    method_names: dict[str, str],
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    store = fake().store
    account_id = store.owner(session["id"])
    account = store.get("account", account_id, everywhere=True) if account_id else None
    items = store.internal[session["id"]]["line_items"]
    taxes: dict[str, dict[str, Any]] = {}
    for item in items:
        for entry in item["taxes"]:
            summed = taxes.setdefault(entry["rate"]["id"], {"rate": entry["rate"], "amount": 0})
            summed["amount"] += entry["amount"]
    exclusive = sum(item["amount_total"] - item["amount_subtotal"] for item in items)
    options = [
        (option, store.require("shipping_rate", option["shipping_rate"], everywhere=True))
        for option in session["shipping_options"]
    ]
    collection = session["shipping_address_collection"]
    countries = [
        (code, tax.COUNTRY_NAMES.get(code, code)) for code in (collection or {}).get("allowed_countries", [])
    ]
    page = render_template(
        "payment_checkout.html",
        session=session,
        shop=accounts.shop_name(account) if account else "Local Stripe",
        items=items,
        taxes=list(taxes.values()),
        before_shipping=session["amount_subtotal"] + exclusive,
        options=options,
        countries=countries,
        banks=payment_methods.IDEAL_BANKS,
        method_names=method_names,
        error=error,
        form=form or {},
    )
    return page, status


def submit(session: dict[str, Any], form: dict[str, str], method_names: dict[str, str]) -> Any | None:
    """Pay with the form's fields: ``None`` when paid, else the page again with the error."""
    params = Params(form)
    try:
        pay(fake().store, fake().webhooks, session, read_payment(params), read_shipping_rate(params))
    except StripeError as failure:
        return render(session, method_names, error=failure.message, form=form, status=failure.status)
    return None
