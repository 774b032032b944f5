"""The repairs staff make, the same rules for the back office's buttons and the ``contyzr``
commands. Each takes a session (and what it needs), checks, changes, and says what to do
after commit (mails to deliver, a run or an event to enqueue); the caller commits, enqueues
and writes the audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import stripe
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing import events
from db.base import utcnow
from db.locks import lock_customer
from db.messages import N_, Message
from db.models import Tenant, User
from db.models.tenants import BillingState, Role
from db.refusals import Refused
from emails.outbox import queue_mail
from links.urls import Urls
from plans.catalog import Catalog
from tenants import lifecycle, retention
from tenants.lifecycle import STAFF_PREFIX, Effects
from tenants.provisioning_repair import prepare_retry


@dataclass
class AfterCommit:
    """What the caller enqueues once the repair is committed."""

    mail_keys: list[str] = field(default_factory=list)
    provision: list[str] = field(default_factory=list)  # signup ids
    events: list[str] = field(default_factory=list)  # Stripe event ids
    said: list[str] = field(default_factory=list)  # what changed, in words for staff


def lock_tenant(session: Session, tenant: Tenant) -> Tenant:
    """The tenant's row, read afresh and locked after its customer's lock (the order the
    billing rules lock in)."""
    if tenant.stripe_customer_id:
        lock_customer(session, tenant.stripe_customer_id)
    session.refresh(tenant, with_for_update=True)
    return tenant


def suspend(session: Session, urls: Urls, tenant: Tenant, reason: str, actor: str) -> AfterCommit:
    effects = Effects()
    lock_tenant(session, tenant)
    reason = (STAFF_PREFIX + reason)[:200]  # tenants.suspension_reason; the audit keeps it all
    if not lifecycle.suspend(session, urls, tenant, reason, effects, actor=actor):
        raise Refused(Message(N_("The tenant is %(state)s: not suspended."),
                              state=tenant.billing_state), status=409)
    return AfterCommit(mail_keys=effects.mail_keys)


def reactivate(session: Session, urls: Urls, tenant: Tenant, reason: str,
               actor: str) -> AfterCommit:
    effects = Effects()
    lock_tenant(session, tenant)
    if not lifecycle.reactivate(session, urls, tenant, reason, effects,
                                occurrence=f"staff-{utcnow().isoformat()}", actor=actor):
        raise Refused(Message(N_("The tenant is %(state)s: nothing to reactivate."),
                              state=tenant.billing_state), status=409)
    return AfterCommit(mail_keys=effects.mail_keys)


def retry_provisioning(session: Session, catalog: Catalog, signup_id: str,
                       **decisions: str | None) -> AfterCommit:
    """Run a failed provisioning again from its failed step (completed steps are kept)."""
    said = prepare_retry(session, catalog, signup_id, **decisions)
    return AfterCommit(provision=[signup_id], said=said)


def reprocess_event(session: Session, event_id: str) -> AfterCommit:
    if not events.reset_failure(session, event_id):
        raise Refused(N_("There is no unprocessed event with that id."), status=404)
    return AfterCommit(events=[event_id])


def resend_welcome(session: Session, tenant: Tenant) -> AfterCommit:
    """The welcome mail again, with a new sign-in link (the old one may have expired)."""
    owner = session.scalar(select(User).where(User.tenant_id == tenant.id,
                                              User.role == Role.OWNER).order_by(User.id))
    if owner is None:
        raise Refused(N_("The tenant has no owner to send it to."), status=409)
    key = f"welcome-{tenant.id}-again-{utcnow():%Y%m%dT%H%M%S%f}"
    queue_mail(session, key=key, kind="welcome", to=owner.email, tenant_id=tenant.id,
               params={"user_id": owner.id})
    return AfterCommit(mail_keys=[key])


MAX_GRACE_DAYS = 30


def extend_grace(session: Session, tenant: Tenant, days: int, reason: str,
                 actor: str) -> AfterCommit:
    """A past-due tenant keeps full service ``days`` longer (1 to 30) before the suspension."""
    lock_tenant(session, tenant)
    if tenant.billing_state != BillingState.PAST_DUE:
        raise Refused(Message(N_("The tenant is %(state)s: there is no grace to extend."),
                              state=tenant.billing_state), status=409)
    if not 1 <= days <= MAX_GRACE_DAYS:
        raise Refused(Message(N_("Extend by 1 to %(max)s days."), max=MAX_GRACE_DAYS), "days",
                      400)
    tenant.grace_until = max(tenant.grace_until or utcnow(), utcnow()) + timedelta(days=days)
    lifecycle.record(session, tenant, "grace_extended", f"{days} days: {reason}"[:500], actor)
    return AfterCommit(said=[f"grace until {tenant.grace_until:%Y-%m-%d %H:%M} UTC"])


def give_discount(client: stripe.StripeClient, catalog: Catalog, tenant: Tenant,
                  coupon_id: str) -> AfterCommit:
    """Put one of the catalog's coupons on the tenant's subscription at Stripe; the mirror
    follows Stripe's ``customer.subscription.updated``."""
    if coupon_id not in catalog.coupons:
        raise Refused(N_("Choose one of the catalog's coupons."), "coupon", 400)
    if not tenant.stripe_subscription_id:
        raise Refused(N_("The tenant has no subscription to discount."), status=409)
    client.v1.subscriptions.update(tenant.stripe_subscription_id, params={
        "discounts": [{"coupon": coupon_id}]},
        options={"idempotency_key": f"staff-discount-{tenant.id}-{coupon_id}-"
                                    f"{utcnow():%Y%m%d%H%M}"})
    return AfterCommit(said=[f"coupon {coupon_id}"])


def close_and_delete(session: Session, client: stripe.StripeClient, storage, tenant: Tenant,
                     confirmation: str, reason: str) -> AfterCommit:
    """End the tenant for good: its subscription canceled at Stripe (no further charge), the
    site closed, its content, media and members deleted (the owner and the records stay).
    Only with the tenant's subdomain typed as the confirmation."""
    if confirmation.strip() != tenant.subdomain:
        raise Refused(N_("Type the tenant's subdomain to confirm. Nothing was deleted."),
                      "confirmation", 400)
    lock_tenant(session, tenant)
    if tenant.billing_state == BillingState.DELETED:
        raise Refused(N_("The tenant's data is deleted already."), status=409)
    if tenant.stripe_subscription_id:
        current = client.v1.subscriptions.retrieve(tenant.stripe_subscription_id)
        if current.status not in ("canceled", "incomplete_expired"):
            client.v1.subscriptions.cancel(
                tenant.stripe_subscription_id,
                options={"idempotency_key": f"staff-delete-{tenant.id}"})
    lifecycle.close(session, tenant, f"{STAFF_PREFIX}{reason}"[:500])
    retention.delete_data(session, tenant, storage)
    return AfterCommit(said=["subscription canceled", "data deleted"])
