"""Invoice items (``invoiceitem``): the proration credits and charges of a plan change.

They wait on the subscription (``invoice: null``) until its next invoice takes them in,
or go straight onto the invoice a change creates (``always_invoice``). On the invoice
each becomes a line whose ``parent.subscription_item_details`` says ``proration: true``.
"""

from datetime import UTC, datetime
from typing import Any

from . import billing_objects
from .store import Store, new_id


def describe(kind: str, product_name: str, quantity: int, since: int) -> str:
    """``Unused time on Pro after 3 Dec 2026`` (kind ``Unused``/``Remaining``)."""
    moment = datetime.fromtimestamp(since, UTC)
    what = f"{quantity} × {product_name}" if quantity > 1 else product_name
    return f"{kind} time on {what} after {moment.day} {moment:%b %Y}"


def invoice_item(
    *,
    customer_id: str,
    subscription_id: str,
    subscription_item: str,
    price_obj: dict[str, Any],
    quantity: int,
    amount: int,
    description: str,
    period: tuple[int, int],
    created: int,
) -> dict[str, Any]:
    return {
        "id": new_id("ii_"),
        "object": "invoiceitem",
        "amount": amount,
        "currency": price_obj["currency"],
        "customer": customer_id,
        "date": created,
        "description": description,
        "discountable": False,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": {},
        "net_amount": amount,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": subscription_id, "subscription_item": subscription_item},
        },
        "period": {"start": period[0], "end": period[1]},
        "pricing": {
            "type": "price_details",
            "price_details": {"price": price_obj["id"], "product": price_obj["product"]},
            "unit_amount_decimal": price_obj["unit_amount_decimal"],
        },
        "proration": True,
        "quantity": quantity,
        "tax_rates": [],
        "test_clock": None,
    }


def line(item: dict[str, Any], invoice_id: str | None) -> dict[str, Any]:
    """The invoice line for a proration item."""
    details = item["parent"]["subscription_details"]
    return billing_objects.line_item(
        invoice_id=invoice_id,
        amount=item["amount"],
        currency=item["currency"],
        description=item["description"],
        subscription_item={"id": details["subscription_item"], "subscription": details["subscription"]},
        period=dict(item["period"]),
        pricing=dict(item["pricing"]),
        quantity=item["quantity"],
        invoice_item=item["id"],
    )


def pending(store: Store, subscription_id: str) -> list[dict[str, Any]]:
    """The subscription's items not on an invoice yet, oldest first."""
    return [
        item
        for item in reversed(store.all("invoiceitem"))
        if item["invoice"] is None
        and item["parent"]["subscription_details"]["subscription"] == subscription_id
    ]
