"""Subscription schedules: phases of prices that take over at period ends (downgrades).

A schedule is made ``from_subscription`` (one phase: the current period and items) and
then given ``phases``. At a period end (see :mod:`.renewals`) the phase starting then sets
the items' prices for the renewal and its invoice (``subscription_schedule.updated``);
when the last phase ends the schedule is released (``subscription_schedule.released``,
``subscription.schedule`` back to null) or, with ``end_behavior=cancel``, completes
and cancels the subscription. Phase items map onto the subscription's items in order.
"""

import copy
from typing import Any

from . import objects
from .billing import Billing
from .store import Store, new_id


def phase(
    *, items: list[tuple[dict[str, Any], int]], start: int, end: int, currency: str, proration_behavior: str
) -> dict[str, Any]:
    return {
        "add_invoice_items": [],
        "application_fee_percent": None,
        "automatic_tax": None,
        "billing_cycle_anchor": None,
        "collection_method": None,
        "currency": currency,
        "default_payment_method": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "end_date": end,
        "invoice_settings": None,
        "items": [
            {
                "discounts": [],
                "metadata": {},
                "plan": price["id"],
                "price": price["id"],
                "quantity": quantity,
                "tax_rates": [],
            }  # fmt: skip
            for price, quantity in items
        ],
        "metadata": {},
        "on_behalf_of": None,
        "proration_behavior": proration_behavior,
        "start_date": start,
        "transfer_data": None,
        "trial_end": None,
    }


def schedule(*, subscription: dict[str, Any], phases: list[dict[str, Any]], created: int) -> dict[str, Any]:
    return {
        "id": new_id("sub_sched_"),
        "object": "subscription_schedule",
        "application": None,
        "billing_mode": {"type": "classic", "flexible": None},
        "canceled_at": None,
        "completed_at": None,
        "created": created,
        "current_phase": {"end_date": phases[0]["end_date"], "start_date": phases[0]["start_date"]},
        "customer": subscription["customer"],
        "customer_account": None,
        "default_settings": {
            "application_fee_percent": None,
            "automatic_tax": copy.deepcopy(subscription["automatic_tax"]),
            "billing_cycle_anchor": "automatic",
            "billing_thresholds": None,
            "collection_method": "charge_automatically",
            "default_payment_method": None,
            "description": None,
            "invoice_settings": {"account_tax_ids": None, "days_until_due": None, "issuer": {"type": "self"}},
            "on_behalf_of": None,
            "transfer_data": None,
        },
        "end_behavior": "release",
        "livemode": False,
        "metadata": {},
        "phases": phases,
        "released_at": None,
        "released_subscription": None,
        "status": "active",
        "subscription": subscription["id"],
        "test_clock": None,
    }


def _next_phase(sched: dict[str, Any], at: int) -> dict[str, Any] | None:
    """The phase that starts at ``at`` or later than the current one but not after ``at``."""
    current = sched["current_phase"]["start_date"] if sched["current_phase"] else None
    starting = [
        p for p in sched["phases"] if p["start_date"] <= at and (current is None or p["start_date"] > current)
    ]
    return starting[-1] if starting else None


def enter_next_phase(store: Store, subscription: dict[str, Any], at: int) -> dict[str, Any] | None:
    """Give the subscription (or a copy) the prices of the phase starting at ``at``."""
    sched = store.get("subscription_schedule", subscription["schedule"] or "")
    if sched is None or sched["status"] != "active":
        return None
    next_phase = _next_phase(sched, at)
    if next_phase is None:
        return None
    for item, planned in zip(subscription["items"]["data"], next_phase["items"], strict=False):
        price = store.require("price", planned["price"])
        item["price"], item["plan"] = copy.deepcopy(price), objects.plan(price)
        item["quantity"] = planned["quantity"]
    return next_phase


def at_period_end(billing: Billing, subscription: dict[str, Any], at: int) -> bool:
    """Move the subscription's schedule on at a period end (inside the renewal's update);
    True if the schedule ends by canceling the subscription."""
    store = billing.store
    sched = store.get("subscription_schedule", subscription["schedule"] or "")
    if sched is None or sched["status"] != "active":
        return False
    next_phase = enter_next_phase(store, subscription, at)
    if next_phase is not None:
        sched["current_phase"] = {"end_date": next_phase["end_date"], "start_date": next_phase["start_date"]}
        billing.webhooks.emit(sched, "updated", at)
        return False
    if sched["phases"][-1]["end_date"] > at:
        return False
    if sched["end_behavior"] == "cancel":
        sched.update(status="completed", completed_at=at, current_phase=None)
        billing.webhooks.emit(sched, "completed", at)
        return True
    release(billing, sched, at)
    return False


def release(billing: Billing, sched: dict[str, Any], at: int) -> None:
    """Let the subscription go on alone; the caller wraps the subscription's update."""
    subscription = billing.store.get("subscription", sched["subscription"] or "")
    sched.update(status="released", released_at=at, released_subscription=sched["subscription"],
                 subscription=None, current_phase=None)  # fmt: skip
    if subscription is not None:
        subscription["schedule"] = None
    billing.webhooks.emit(sched, "released", at)
