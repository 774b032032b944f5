"""Composing a subscription's invoice: its items' lines, waiting proration items, the
running discounts, automatic tax and the totals, without storing anything, so that
``POST /v1/invoices/create_preview`` shows exactly what the real invoice will be.
"""

from typing import Any

from . import billing_objects, discounts, invoice_items, tax, tax_ids
from .store import Store, new_id
from .totals import set_totals


def compose(
    store: Store,
    subscription: dict[str, Any],
    *,
    reason: str,
    period: tuple[int, int],
    at: int,
    items: list[dict[str, Any]] | None = None,
    extra: list[dict[str, Any]] = (),  # type: ignore[assignment]
    invoice_id: str | None = None,
    trial: bool = False,
) -> dict[str, Any]:
    """A draft invoice: a line per subscription item (``items``, default all), then a line
    per invoice item in ``extra``; discounts, tax and totals applied."""
    items = subscription["items"]["data"] if items is None else items
    descriptions = [
        billing_objects.describe_line(
            item["price"], store.require("product", item["price"]["product"])["name"], item["quantity"]
        )
        for item in items
    ]
    customer = store.require("customer", subscription["customer"])
    invoice = billing_objects.invoice(
        customer_obj=customer,
        subscription_obj=subscription,
        billing_reason=reason,
        descriptions=descriptions,
        period=period,
        created=at,
        items=items,
        invoice_id=invoice_id or new_id("in_"),
    )
    if trial:  # Stripe's zero-amount first invoice of a trial
        for line, item in zip(invoice["lines"]["data"], items, strict=True):
            name = store.require("product", item["price"]["product"])["name"]
            line.update(amount=0, subtotal=0, description=f"Trial period for {name}")
    invoice["lines"]["data"].extend(invoice_items.line(item, invoice["id"]) for item in extra)
    discounts.apply(store, invoice, discounts.running(store, subscription, at))
    if subscription["automatic_tax"]["enabled"]:
        ids = tax_ids.of_customer(store.all("tax_id"), customer["id"])
        tax.apply_automatic_tax(invoice, customer, ids, store, at)
    set_totals(invoice, customer["balance"])
    return invoice
