"""The billing life cycle of a live tenant: past due, suspended, active again, closed, deleted.

Each transition records a tenant event and queues its mail in the outbox (one per
occurrence, by idempotency key). Callers hold the customer's advisory lock
(``db.locks.lock_customer``), so a payment and a suspension never interleave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Invoice, Subscription, Tenant, TenantEvent, User
from db.models.tenants import BillingState, Role
from emails.outbox import queue_mail
from links.urls import Urls
from plans.catalog import Catalog
from tenants.billing_states import LIVE_STATUSES, target_for

REMINDER_BEFORE_DELETION = timedelta(days=7)
STAFF_PREFIX = "staff: "


@dataclass
class Effects:
    """Mails queued in this transaction: enqueue their delivery after commit."""

    mail_keys: list[str] = field(default_factory=list)


def _owner(session: Session, tenant: Tenant) -> User:
    return session.scalar(select(User).where(User.tenant_id == tenant.id, User.role == Role.OWNER)
                          .order_by(User.id))


def _mail(session: Session, effects: Effects, tenant: Tenant, key: str, kind: str,
          **params) -> None:
    owner = _owner(session, tenant)
    if owner is not None and queue_mail(session, key=key, kind=kind, to=owner.email,
                                        params=params, tenant_id=tenant.id):
        effects.mail_keys.append(key)


def record(session: Session, tenant: Tenant, kind: str, detail: str | None = None,
           actor: str = "system") -> None:
    session.add(TenantEvent(tenant_id=tenant.id, kind=kind, detail=detail, actor=actor))


def payment_method(session: Session, subscription_id: str | None) -> dict:
    """How the subscription is charged, for the mails to name it: ``method_type`` (``card`` or
    ``sepa_debit``), ``method_brand`` and ``method_last4``; empty when not known."""
    subscription = session.get(Subscription, subscription_id) if subscription_id else None
    if subscription is None or not subscription.payment_method_type:
        return {}
    return {"method_type": subscription.payment_method_type,
            "method_brand": subscription.payment_method_brand,
            "method_last4": subscription.payment_method_last4}


def payment_failed(session: Session, catalog: Catalog, urls: Urls, tenant: Tenant,
                   invoice: Invoice, effects: Effects, now: datetime | None = None) -> None:
    """A charge failed, or waits for the customer to confirm it (``invoice.action_required``):
    past due with a grace deadline, and one mail per attempt naming the payment method (a
    dunning mail, or the request to confirm the payment on the invoice's page)."""
    now = now or utcnow()
    if tenant.billing_state not in (BillingState.ACTIVE, BillingState.PAST_DUE,
                                    BillingState.SUSPENDED):
        return
    if tenant.billing_state == BillingState.ACTIVE:
        grace_days = catalog.plan(tenant.plan_id).grace_days
        tenant.billing_state = BillingState.PAST_DUE
        tenant.past_due_since = now
        tenant.grace_until = now + timedelta(days=grace_days)
        what = "needs the customer's confirmation" if invoice.action_required else "failed"
        record(session, tenant, "past_due", f"invoice {invoice.id} {what}; grace {grace_days} days")
    days_left = max(0, (tenant.grace_until - now).days) if tenant.grace_until else 0
    # One mail per attempt, whichever of the failure's events comes first names it.
    _mail(session, effects, tenant, f"dunning-{invoice.id}-{invoice.attempt_count}",
          "payment_action_required" if invoice.action_required else "dunning",
          company=tenant.company, amount_due_cents=invoice.amount_due, currency=invoice.currency,
          hosted_invoice_url=invoice.hosted_invoice_url or urls.billing(),
          billing_url=urls.billing(), grace_days_left=days_left,
          suspend_on=tenant.grace_until.isoformat() if tenant.grace_until else None,
          **payment_method(session, invoice.subscription_id))


def suspend(session: Session, urls: Urls, tenant: Tenant, reason: str, effects: Effects,
            actor: str = "system", now: datetime | None = None) -> bool:
    """Read-only until paid. Nothing is deleted. True when the tenant was not suspended yet."""
    if tenant.billing_state in (BillingState.SUSPENDED, BillingState.CLOSED, BillingState.DELETED):
        return False
    now = now or utcnow()
    tenant.billing_state, tenant.suspended_at, tenant.suspension_reason = BillingState.SUSPENDED, now, reason
    record(session, tenant, "suspended", reason, actor)
    since = (tenant.past_due_since or now).isoformat()
    _mail(session, effects, tenant, f"suspended-{tenant.id}-{since}", "suspended",
          company=tenant.company, billing_url=urls.billing(),
          **payment_method(session, tenant.stripe_subscription_id))
    return True


def reactivate(session: Session, urls: Urls, tenant: Tenant, reason: str, effects: Effects,
               occurrence: str, actor: str = "system") -> bool:
    """Paid again (or restored by staff): full service at once. True when it changed."""
    if tenant.billing_state not in (BillingState.PAST_DUE, BillingState.SUSPENDED,
                                    BillingState.CLOSED):
        return False
    if actor == "system" and (tenant.suspension_reason or "").startswith(STAFF_PREFIX):
        return False  # a suspension by staff is lifted by staff only
    previous = tenant.billing_state
    tenant.billing_state = BillingState.ACTIVE
    tenant.past_due_since = tenant.grace_until = None
    tenant.suspended_at = tenant.suspension_reason = tenant.closed_at = None
    record(session, tenant, "reactivated", f"{reason} (was {previous})", actor)
    if previous in (BillingState.SUSPENDED, BillingState.CLOSED):
        _mail(session, effects, tenant, f"reactivated-{tenant.id}-{occurrence}",
              "reactivated", company=tenant.company, portal_url=urls.portal())
    return True


def close(session: Session, tenant: Tenant, reason: str, now: datetime | None = None) -> bool:
    """The subscription ended: the site goes offline, data is kept for the retention period."""
    if tenant.billing_state in (BillingState.CLOSED, BillingState.DELETED):
        return False
    tenant.billing_state, tenant.closed_at = BillingState.CLOSED, now or utcnow()
    record(session, tenant, "closed", reason)
    return True


def last_failed_invoice(session: Session, subscription_id: str) -> Invoice | None:
    """The subscription's newest invoice that is still open after a failed charge."""
    return session.scalar(
        select(Invoice).where(Invoice.subscription_id == subscription_id, Invoice.status == "open",
                              Invoice.attempt_count > 0)
        .order_by(Invoice.created.desc()).limit(1))


def follow_subscription(session: Session, catalog: Catalog, urls: Urls, tenant: Tenant,
                        subscription: Subscription, effects: Effects,
                        now: datetime | None = None) -> None:
    """Move the tenant to the state ``tenants.billing_states.target_for`` gives its subscription, with
    the record and the mail each transition owes: suspended, closed, or past due (with the
    dunning mail of the failed invoice). A live or undecided status changes nothing here: a
    suspension or a closure is lifted by a paid invoice (``reactivate``, with its own mail)."""
    target = target_for(subscription.status, subscription.cancellation_reason)
    if target.state == BillingState.SUSPENDED:
        suspend(session, urls, tenant, target.reason, effects, now=now)
    elif target.state == BillingState.CLOSED:
        close(session, tenant, target.reason, now=now)
    elif target.state == BillingState.PAST_DUE:
        invoice = last_failed_invoice(session, subscription.id)
        if invoice is not None:
            payment_failed(session, catalog, urls, tenant, invoice, effects, now=now)


def start(session: Session, catalog: Catalog, urls: Urls, tenant: Tenant,
          subscription: Subscription | None, effects: Effects,
          now: datetime | None = None) -> None:
    """The billing state a new tenant starts in: its subscription as last seen, through the
    same rule as every later change. The caller holds the customer's lock (so no event of
    this customer is half-applied meanwhile) and the owner exists (so the mails reach them)."""
    if subscription is None:
        return  # provisioned from a paid invoice whose subscription was never seen: active
    if subscription.status in LIVE_STATUSES and subscription.plan_id:
        tenant.plan_id, tenant.interval = subscription.plan_id, subscription.interval
    tenant.stripe_subscription_id = subscription.id
    follow_subscription(session, catalog, urls, tenant, subscription, effects, now=now)


def trial_ending(session: Session, urls: Urls, tenant: Tenant, subscription: Subscription,
                 effects: Effects) -> None:
    """The free trial ends in three days: once per subscription."""
    _mail(session, effects, tenant, f"trial-ending-{subscription.id}", "trial_ending",
          company=tenant.company, trial_end=subscription.trial_end.isoformat(),
          billing_url=urls.billing(), has_payment_method=bool(subscription.payment_method_type))


def remind_before_deletion(session: Session, urls: Urls, tenant: Tenant, delete_on: datetime,
                           effects: Effects) -> None:
    _mail(session, effects, tenant, f"closing-reminder-{tenant.id}-{tenant.closed_at.isoformat()}",
          "closing_reminder", company=tenant.company, delete_on_date=delete_on.isoformat(),
          billing_url=urls.billing())
