"""Proration of a plan change, worked out on a copy of the subscription (nothing stored).

For each changed item Stripe credits the unused time of the old price ("Unused time on
Pro after 3 Dec 2026", negative) and charges the remaining time on the new one
("Remaining time on Team after 3 Dec 2026"), each
``round(unit_amount * quantity * remaining_seconds / period_seconds)`` from
``proration_date`` (default now) to the period end. A change of interval, or
``billing_cycle_anchor=now``, restarts the billing period now: then the full new price is
invoiced at once, minus the credit. :mod:`.plan_changes` applies the result.
"""

import copy
from dataclasses import dataclass, field
from typing import Any

from . import invoice_items, objects
from .errors import invalid
from .periods import add_interval
from .store import Store

PRORATION_BEHAVIORS = ("create_prorations", "always_invoice", "none")
ANCHORS = ("unchanged", "now")


@dataclass
class Change:
    item_id: str
    price: dict[str, Any] | None
    quantity: int | None


@dataclass
class Options:
    proration_behavior: str = "create_prorations"
    proration_date: int | None = None
    billing_cycle_anchor: str = "unchanged"


@dataclass
class Outcome:
    """The subscription as it would be, the proration items, and whether to invoice now."""

    subscription: dict[str, Any]
    prorations: list[dict[str, Any]] = field(default_factory=list)
    reset: bool = False
    invoice_now: bool = False
    changed: bool = False


def work_out(store: Store, subscription: dict[str, Any], changes: list[Change], options: Options,
             at: int) -> Outcome:  # fmt: skip
    first = subscription["items"]["data"][0]
    start, end = first["current_period_start"], first["current_period_end"]
    when = options.proration_date if options.proration_date is not None else at
    after = copy.deepcopy(subscription)
    items = {item["id"]: item for item in after["items"]["data"]}
    outcome = Outcome(after)
    moved = []
    for change in changes:
        item = items[change.item_id]
        price = change.price or item["price"]
        quantity = change.quantity if change.quantity is not None else item["quantity"]
        if price["id"] == item["price"]["id"] and quantity == item["quantity"]:
            continue
        outcome.changed = True
        moved.append((item, copy.deepcopy(item), price, quantity))
        if _interval(price) != _interval(item["price"]):
            outcome.reset = True
        item["price"], item["plan"], item["quantity"] = copy.deepcopy(price), objects.plan(price), quantity
    if options.billing_cycle_anchor == "now":
        outcome.reset = outcome.changed = True
    if outcome.changed and not start <= when <= end:
        raise invalid(
            "The proration_date must be within the subscription's current billing period.",
            param="proration_date",
        )
    if outcome.reset:
        _restart(after, at)
    prorate = options.proration_behavior != "none"
    for item, old, price, quantity in moved if prorate else ():
        credit = _item(store, after, old, old["price"], old["quantity"], when, (start, end), -1)
        outcome.prorations.append(credit)
        if not outcome.reset:
            outcome.prorations.append(_item(store, after, item, price, quantity, when, (start, end), 1))
    if outcome.reset and prorate and options.billing_cycle_anchor == "now" and not moved:
        for item in after["items"]["data"]:
            outcome.prorations.append(
                _item(store, after, item, item["price"], item["quantity"], when, (start, end), -1)
            )
    outcome.invoice_now = outcome.reset or (
        options.proration_behavior == "always_invoice" and bool(outcome.prorations)
    )
    return outcome


def _interval(price: dict[str, Any]) -> tuple[str, int]:
    return price["recurring"]["interval"], price["recurring"]["interval_count"]


def _restart(subscription: dict[str, Any], at: int) -> None:
    subscription["billing_cycle_anchor"] = at
    for item in subscription["items"]["data"]:
        recurring = item["price"]["recurring"]
        item["current_period_start"] = at
        item["current_period_end"] = add_interval(at, recurring["interval"], recurring["interval_count"])


def _item(
    store: Store,
    subscription: dict[str, Any],
    item: dict[str, Any],
    price: dict[str, Any],
    quantity: int,
    when: int,
    period: tuple[int, int],
    sign: int,
) -> dict[str, Any]:
    """A credit (``sign`` -1) or charge (+1) for ``price`` from ``when`` to the period end."""
    length = period[1] - period[0]
    amount = round(price["unit_amount"] * quantity * (period[1] - when) / length) if length else 0
    name = store.require("product", price["product"])["name"]
    return invoice_items.invoice_item(
        customer_id=subscription["customer"],
        subscription_id=subscription["id"],
        subscription_item=item["id"],
        price_obj=price,
        quantity=quantity,
        amount=sign * amount,
        description=invoice_items.describe("Unused" if sign < 0 else "Remaining", name, quantity, when),
        period=(when, period[1]),
        created=when,
    )


def adopt(subscription: dict[str, Any], after: dict[str, Any]) -> None:
    """Take the items and billing cycle of ``after`` (a changed copy of the subscription)."""
    by_id = {item["id"]: item for item in after["items"]["data"]}
    for item in subscription["items"]["data"]:
        item.update(copy.deepcopy(by_id[item["id"]]))
    subscription["billing_cycle_anchor"] = after["billing_cycle_anchor"]
    subscription["pending_update"] = None
