"""The one rule from a Stripe subscription to the billing state its tenant belongs in.

Used when a subscription changes (``billing.handlers.subscription_changed``) and when a tenant
is born (``tenants.lifecycle.start``), so a tenant provisioned after Stripe's events ends in
the same state as one that was live when they arrived.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.models.tenants import BillingState

# Stripe's subscription statuses (Stripe's strings, not ours) in which the subscription is live.
LIVE_STATUSES = ("active", "trialing")
# Stripe's cancellation_details.reason when it cancelled the subscription itself because the
# payments failed (the customer did not choose to leave: restoring by paying is the way back).
NON_PAYMENT = "payment_failed"


@dataclass(frozen=True)
class Target:
    """``state``: active, past_due, suspended or closed; None when the status decides nothing
    (incomplete, incomplete_expired, paused: the tenant stays as it is)."""

    state: BillingState | None
    reason: str = ""


def target_for(status: str | None, cancellation_reason: str | None = None) -> Target:
    match status:
        case "active" | "trialing":
            return Target(BillingState.ACTIVE)
        case "past_due":
            return Target(BillingState.PAST_DUE, "subscription past due")
        case "unpaid":
            return Target(BillingState.SUSPENDED, "subscription unpaid")
        case "canceled" if cancellation_reason == NON_PAYMENT:
            return Target(BillingState.SUSPENDED, "subscription cancelled for non-payment")
        case "canceled":
            return Target(BillingState.CLOSED, "subscription cancelled")
        case _:
            return Target(None)
