"""Cancelling from the portal: at the end of the paid period, with the customer's reason
(Stripe's ``cancellation_details``), once a retention offer first (a coupon of the catalog),
and undone while the period lasts. These change Stripe only; the mirror and the tenant follow
its ``customer.subscription.updated`` (``billing.handlers``), as for a change made in Stripe's
own portal. Whether the offer was made is kept on the subscription at Stripe (metadata
``retention_offer``), so it is made once whatever the order of requests and events."""

from __future__ import annotations

import stripe

from billing.subscriptions import fetch_subscription
from db.messages import N_
from db.models import Tenant
from db.refusals import Refused
from plans.catalog import Catalog

# Stripe's cancellation_details.feedback values, in the order the form offers them.
FEEDBACK = ("too_expensive", "missing_features", "switched_service", "unused",
            "customer_service", "too_complex", "low_quality", "other")
COMMENT_LIMIT = 500
OFFER_KEY = "retention_offer"  # subscription metadata: "accepted" or "declined"


def _live_subscription(client: stripe.StripeClient, tenant: Tenant) -> dict:
    if not tenant.stripe_subscription_id:
        raise Refused(N_("There is no subscription to change."))
    current = fetch_subscription(client, tenant.stripe_subscription_id)
    if current["status"] in ("canceled", "incomplete_expired"):
        raise Refused(N_("This subscription has already ended."))
    return current


def may_offer_retention(catalog: Catalog, tenant: Tenant) -> bool:
    return catalog.retention_coupon() is not None and tenant.retention_offer_used_at is None


def require_feedback(feedback: str) -> None:
    if feedback not in FEEDBACK:
        raise Refused(N_("Please choose a reason from the list."))


def cancel_at_period_end(client: stripe.StripeClient, tenant: Tenant, feedback: str,
                         comment: str) -> None:
    require_feedback(feedback)
    current = _live_subscription(client, tenant)
    offered = (current.get("metadata") or {}).get(OFFER_KEY) or "declined"
    client.v1.subscriptions.update(tenant.stripe_subscription_id, params={
        "cancel_at_period_end": True, "metadata": {OFFER_KEY: offered},
        "cancellation_details": {"feedback": feedback, "comment": comment[:COMMENT_LIMIT]}})


def undo(client: stripe.StripeClient, tenant: Tenant) -> None:
    if not _live_subscription(client, tenant).get("cancel_at_period_end"):
        raise Refused(N_("The subscription is not being cancelled."))
    client.v1.subscriptions.update(tenant.stripe_subscription_id,
                                   params={"cancel_at_period_end": False})


def accept_retention_offer(client: stripe.StripeClient, catalog: Catalog, tenant: Tenant) -> None:
    """The tenant stays, with the catalog's retention coupon on its subscription: once."""
    current = _live_subscription(client, tenant)
    if not may_offer_retention(catalog, tenant) or (current.get("metadata") or {}).get(OFFER_KEY):
        raise Refused(N_("This offer has already been used."))
    client.v1.subscriptions.update(
        tenant.stripe_subscription_id,
        params={"discounts": [{"coupon": catalog.retention_coupon().id}],
                "metadata": {OFFER_KEY: "accepted"}},
        options={"idempotency_key": f"retention-{tenant.id}"})
