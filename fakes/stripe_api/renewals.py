"""What happens as the fake clock moves on: renewals, smart retries, SEPA debit
settlements, period-end cancellations, trial ends (and their ``trial_will_end`` warnings) and
Checkout Session expiry, run in time order, each at the moment it falls due (that moment
stamps the objects and events it creates).
"""

from typing import Any

from . import trials
from .billing import Billing, period_of
from .pending_payments import debit_due, settle_debit
from .periods import add_interval
from .schedules import at_period_end

RENEWING = ("active", "past_due", "trialing")  # unpaid, paused and canceled ones do not renew


def run_until(billing: Billing, until: int) -> None:
    """Run everything due up to ``until``, earliest first."""
    while (task := _next_due(billing, until)) is not None:
        with billing.store.scoped(billing.store.owner(task[2]["id"])):  # as the object's account
            _run(billing, *task)


def _run(billing: Billing, at: int, kind: str, obj: dict[str, Any]) -> None:
    if kind == "expire":
        billing.expire_checkout(obj, at)
    elif kind == "retry":
        billing.collect(obj, at, scheduled=True)
    elif kind == "settle":
        settle_debit(billing, obj, at)
    elif kind == "trial_will_end":
        trials.warn(billing.store, billing.webhooks, obj, at)
    elif obj["cancel_at_period_end"]:
        billing.cancel(obj, at, "cancellation_requested")
    else:
        renew(billing, obj, at)


def _next_due(billing: Billing, until: int) -> tuple[int, str, dict[str, Any]] | None:
    store = billing.store
    due = [
        (period_of(sub)[1], "period_end", sub)
        for sub in store.all("subscription")
        if sub["status"] in RENEWING
    ]
    due += [
        (invoice["next_payment_attempt"], "retry", invoice)
        for invoice in billing.open_invoices()
        if invoice["next_payment_attempt"] is not None and invoice["auto_advance"]
    ]
    due += [
        (settles_at, "settle", invoice)
        for invoice in billing.open_invoices()
        if (settles_at := debit_due(billing, invoice)) is not None
    ]
    due += trials.warnings_due(store)
    due += [
        (session["expires_at"], "expire", session)
        for session in store.all("checkout.session")
        if session["status"] == "open"
    ]
    due = [task for task in due if task[0] <= until]
    return min(due, key=lambda task: task[0]) if due else None


def renew(billing: Billing, subscription: dict[str, Any], at: int) -> None:
    """Start the next period (in the schedule's next phase, if any) and charge its invoice:
    one ``customer.subscription.updated``."""
    missing = trials.missing_payment_method(subscription) if subscription["status"] == "trialing" else None
    if missing == "cancel":
        billing.cancel(subscription, at, "cancellation_requested")
        return
    with billing.webhooks.updating(subscription, at):
        if subscription["status"] == "trialing":
            subscription["status"] = "paused" if missing == "pause" else "active"
        if subscription["status"] == "paused":
            give_up, reason = False, ""
        elif at_period_end(billing, subscription, at):
            give_up, reason = True, "cancellation_requested"
        else:
            give_up, reason = _start_next_period(billing, subscription, at), "payment_failed"
    if give_up:
        billing.cancel(subscription, at, reason)


def _start_next_period(billing: Billing, subscription: dict[str, Any], at: int) -> bool:
    start, end = period_of(subscription)
    for item in subscription["items"]["data"]:
        recurring = item["price"]["recurring"]
        item["current_period_start"] = end
        item["current_period_end"] = add_interval(
            end,
            recurring["interval"],
            recurring["interval_count"],
            anchor=subscription["billing_cycle_anchor"],
        )
    invoice = billing.create_invoice(subscription, "subscription_cycle", (start, end), at)
    subscription["latest_invoice"] = invoice["id"]
    billing.issue(invoice, at)
    outcome = billing.attempt(invoice, at, scheduled=True)
    return billing.settle(subscription, invoice, outcome)
