"""What happens as the fake clock moves on: renewals, smart retries, SEPA debit
settlements, period-end cancellations and Checkout Session expiry, run in time order, each at the moment it
falls due (that moment stamps the objects and events it creates).
"""

from typing import Any

from .billing import Billing, period_of
from .pending_payments import debit_due, settle_debit
from .periods import add_interval

RENEWING = ("active", "past_due")  # unpaid and canceled subscriptions do not renew


def run_until(billing: Billing, until: int) -> None:
    """Run everything due up to ``until``, earliest first."""
    while (task := _next_due(billing, until)) is not None:
        at, kind, obj = task
        if kind == "expire":
            billing.expire_checkout(obj, at)
        elif kind == "retry":
            billing.collect(obj, at, scheduled=True)
        elif kind == "settle":
            settle_debit(billing, obj, at)
        elif obj["cancel_at_period_end"]:
            billing.cancel(obj, at, "cancellation_requested")
        else:
            _renew(billing, obj, at)


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
    due += [
        (session["expires_at"], "expire", session)
        for session in store.all("checkout.session")
        if session["status"] == "open"
    ]
    due = [task for task in due if task[0] <= until]
    return min(due, key=lambda task: task[0]) if due else None


def _renew(billing: Billing, subscription: dict[str, Any], at: int) -> None:
    """Start the next period and charge its invoice: one ``customer.subscription.updated``."""
    with billing.webhooks.updating(subscription, at):
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
        give_up = billing.settle(subscription, invoice, outcome)
    if give_up:
        billing.cancel(subscription, at, "payment_failed")
