"""Free trials started in Checkout.

``subscription_data[trial_period_days]`` starts the subscription ``trialing`` until
``trial_end`` with a paid zero-amount invoice; with ``payment_method_collection=if_required``
the customer may start it without a payment method (``payment_method=none``).
``customer.subscription.trial_will_end`` is sent three days before the end. At the end
(see :mod:`.renewals`) a subscription with a payment method becomes ``active`` and is
charged; one without follows ``trial_settings[end_behavior][missing_payment_method]``:
``cancel`` (canceled; ``cancellation_details.reason`` stays within the API's enum:
``cancellation_requested``), ``create_invoice`` (an open invoice, ``past_due``) or
``pause`` (``paused``, nothing invoiced).
"""

from typing import Any

from .errors import invalid
from .params import Params
from .store import DAY, Store

END_BEHAVIORS = ("cancel", "create_invoice", "pause")
WARNING_BEFORE = 3 * DAY


def read_checkout(params: Params) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(session fields, internal settings)`` from a Checkout Session create request."""
    data = params.nested("subscription_data")
    days = data.integer("trial_period_days", minimum=1)
    if days is not None and days > 730:
        raise invalid("trial_period_days must be at most 730.", param="subscription_data[trial_period_days]")
    end_behavior = data.nested("trial_settings").nested("end_behavior")
    missing = end_behavior.choice("missing_payment_method", END_BEHAVIORS, default="create_invoice")
    collection = params.choice("payment_method_collection", ("always", "if_required"), default="always")
    fields = {"payment_method_collection": collection}
    return fields, {"trial_period_days": days, "missing_payment_method": missing}


def may_skip_payment_method(session: dict[str, Any], internal: dict[str, Any]) -> bool:
    return session["payment_method_collection"] == "if_required" and bool(internal.get("trial_period_days"))


def start(subscription: dict[str, Any], internal: dict[str, Any], at: int) -> None:
    """Make a new Checkout subscription trialing (its period is the trial)."""
    trial_end = at + internal["trial_period_days"] * DAY
    subscription.update(
        status="trialing", trial_start=at, trial_end=trial_end, billing_cycle_anchor=trial_end
    )
    subscription["trial_settings"]["end_behavior"]["missing_payment_method"] = internal[
        "missing_payment_method"
    ]
    for item in subscription["items"]["data"]:
        item["current_period_start"], item["current_period_end"] = at, trial_end


def warnings_due(store: Store) -> list[tuple[int, str, dict[str, Any]]]:
    """``trial_will_end`` tasks for the clock: three days before each trial ends."""
    return [
        (max(sub["trial_end"] - WARNING_BEFORE, sub["trial_start"]), "trial_will_end", sub)
        for sub in store.all("subscription")
        if sub["status"] == "trialing" and not store.internal[sub["id"]].get("trial_will_end_sent")
    ]


def warn(store: Store, webhooks: Any, subscription: dict[str, Any], at: int) -> None:
    store.internal[subscription["id"]]["trial_will_end_sent"] = True
    webhooks.emit(subscription, "trial_will_end", at)


def missing_payment_method(subscription: dict[str, Any]) -> str | None:
    """At the trial's end: None if it has a payment method, else its end behavior."""
    if subscription["default_payment_method"]:
        return None
    return subscription["trial_settings"]["end_behavior"]["missing_payment_method"]


def end_now(subscription: dict[str, Any], at: int) -> None:
    """``trial_end=now``: the trial's period ends at ``at`` (the caller renews it then)."""
    subscription.update(trial_end=at, billing_cycle_anchor=at)
    for item in subscription["items"]["data"]:
        item["current_period_end"] = at
