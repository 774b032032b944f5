"""The billing state machine: one handler per Stripe event type.

``handle(session, deps, event)`` is idempotent and independent of order: it reads
the current subscription from Stripe rather than trusting the payload, and returns the
follow-up work (provisioning, queued mails) for the caller to enqueue after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import stripe
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing import plan_changes
from billing.subscriptions import (
    fetch_subscription,
    id_of,
    invoice_metadata,
    mirror_invoice,
    mirror_subscription,
)
from db.base import utcnow
from db.models import ProvisioningRun, Signup, Subscription, Tenant
from db.models.provisioning import RunStatus
from db.models.signups import SignupStatus
from db.models.tenants import BillingState, ProvisioningState
from links.urls import Urls
from plans.catalog import Catalog
from tenants import lifecycle, signups, subdomains, trials
from tenants.billing_states import LIVE_STATUSES
from tenants.lifecycle import Effects


@dataclass
class Deps:
    client: stripe.StripeClient
    catalog: Catalog
    urls: Urls


@dataclass
class Outcome(Effects):
    provision: list[str] = field(default_factory=list)  # signup ids to provision


def _signup_for(session: Session, customer_id: str | None, signup_id: str | None) -> Signup | None:
    if signup_id:
        signup = session.get(Signup, signup_id, with_for_update=True)
        if signup is not None:
            return signup
    if customer_id:
        return session.scalar(
            select(Signup).where(Signup.stripe_customer_id == customer_id).with_for_update())
    return None


def _tenant_for(session: Session, customer_id: str | None) -> Tenant | None:
    """The customer's live tenant. One still being provisioned is left alone: its billing state
    is decided once, when it goes live, from the mirrors these events keep up to date
    (``tenants.lifecycle.start``), so an event arriving meanwhile is never lost."""
    if not customer_id:
        return None
    return session.scalar(
        select(Tenant).where(Tenant.stripe_customer_id == customer_id,
                             Tenant.provisioning_state != ProvisioningState.PROVISIONING).with_for_update())


def checkout_completed(session: Session, obj: dict, outcome: Outcome) -> None:
    customer = id_of(obj.get("customer"))
    signup = _signup_for(session, customer,
                         (obj.get("metadata") or {}).get("signup_id") or obj.get("client_reference_id"))
    if signup is None:
        return
    signup.stripe_customer_id = signup.stripe_customer_id or customer
    signup.stripe_subscription_id = id_of(obj.get("subscription")) or signup.stripe_subscription_id
    if obj.get("payment_status") == "unpaid" and signup.status == SignupStatus.PENDING:
        # A bank debit (SEPA) takes days: the name stays held, and the site is set up when
        # invoice.paid arrives (or the signup ends when the payment fails).
        signup.payment_pending_since = signup.payment_pending_since or utcnow()
        signup.expires_at = None


def checkout_expired(session: Session, obj: dict, outcome: Outcome) -> None:
    signup = _signup_for(session, id_of(obj.get("customer")),
                         (obj.get("metadata") or {}).get("signup_id"))
    # Only the signup's current session counts: an older one is expired when a form is resent.
    if signup is None or signup.status != SignupStatus.PENDING or signup.checkout_session_id != obj["id"]:
        return
    signup.status = SignupStatus.EXPIRED
    subdomains.release(session, signup.id)


def subscription_changed(session: Session, deps: Deps, obj: dict, outcome: Outcome) -> Subscription:
    fresh = fetch_subscription(deps.client, obj["id"])
    before = session.get(Subscription, obj["id"])
    was_cancelling = bool(before and before.cancel_at_period_end)
    mirror = mirror_subscription(session, deps.catalog, fresh)
    signup = _signup_for(session, mirror.customer_id, mirror.signup_id)
    if signup is not None and not signup.stripe_subscription_id:
        signup.stripe_subscription_id = mirror.id
    if signup is not None and signup.trial and mirror.status == "trialing":
        _one_trial_per_card(session, deps, signup, fresh)
    if signup is not None and signup.status == SignupStatus.PENDING \
            and mirror.status == "incomplete_expired":
        signups.expire(session, signup)  # the first (bank) payment failed: nothing was charged
    tenant = _tenant_for(session, mirror.customer_id)
    if tenant is None:
        return mirror
    current = tenant.stripe_subscription_id in (None, mirror.id)
    if mirror.status in LIVE_STATUSES and mirror.plan_id:
        # A plan change (the portal's or Stripe's) applies at once; so does a new subscription.
        plan_changes.follow(session, deps.client, deps.catalog, tenant, fresh, mirror,
                            was_cancelling)
    elif current:
        lifecycle.follow_subscription(session, deps.catalog, deps.urls, tenant, mirror, outcome)
    return mirror


def _one_trial_per_card(session: Session, deps: Deps, signup: Signup, fresh: dict) -> None:
    """Record the trial; a card that had one with another email address pays now instead."""
    method = fresh.get("default_payment_method")
    method = method if isinstance(method, dict) else {}
    fingerprint = (method.get(method.get("type") or "") or {}).get("fingerprint")
    if not trials.claim(session, signup, fingerprint):
        deps.client.v1.subscriptions.update(fresh["id"], params={"trial_end": "now"},
                                            options={"idempotency_key": f"trial-end-{fresh['id']}"})


def trial_will_end(session: Session, deps: Deps, obj: dict, outcome: Outcome) -> None:
    """Three days before a trial ends: the reminder, saying whether a payment method is on
    file (without one, the site goes the way of an unpaid invoice when the trial ends)."""
    mirror = subscription_changed(session, deps, obj, outcome)
    tenant = _tenant_for(session, mirror.customer_id)
    if tenant is not None and mirror.status == "trialing" and mirror.trial_end:
        lifecycle.trial_ending(session, deps.urls, tenant, mirror, outcome)


def invoice_paid(session: Session, deps: Deps, obj: dict, outcome: Outcome) -> None:
    invoice = mirror_invoice(session, obj)
    tenant = _tenant_for(session, invoice.customer_id)
    if tenant is not None:
        _reactivate_if_paid_up(session, deps, tenant, invoice, outcome)
        return
    signup = _signup_for(session, invoice.customer_id, invoice_metadata(obj).get("signup_id"))
    # A payment for a signup whose reservation ended is still a payment: it is provisioned
    # (the subdomain step takes the name back if it is free, or fails for staff to repair).
    if signup is None or signup.status not in (SignupStatus.PENDING, SignupStatus.EXPIRED, SignupStatus.PAID):
        return
    if signup.status != SignupStatus.PAID:
        signup.status = SignupStatus.PAID
        signup.paid_at = utcnow()
        signup.stripe_subscription_id = signup.stripe_subscription_id or invoice.subscription_id
    if session.scalar(select(ProvisioningRun.id).where(ProvisioningRun.signup_id == signup.id)):
        return
    session.add(ProvisioningRun(signup_id=signup.id, status=RunStatus.QUEUED))
    session.flush()
    outcome.provision.append(signup.id)


def _reactivate_if_paid_up(session: Session, deps: Deps, tenant: Tenant, invoice, outcome) -> None:
    """Reactivate only when Stripe says the subscription is live now: a late, duplicate or
    old invoice.paid must not lift a suspension that a newer failure caused."""
    if tenant.billing_state not in (BillingState.PAST_DUE, BillingState.SUSPENDED,
                                    BillingState.CLOSED) \
            or not invoice.subscription_id:
        return
    mirror = mirror_subscription(session, deps.catalog,
                                 fetch_subscription(deps.client, invoice.subscription_id))
    if mirror.status not in LIVE_STATUSES:
        return
    if mirror.plan_id:
        tenant.plan_id, tenant.interval = mirror.plan_id, mirror.interval
    tenant.stripe_subscription_id = mirror.id
    lifecycle.reactivate(session, deps.urls, tenant, f"invoice {invoice.id} paid", outcome,
                         occurrence=invoice.id)


def invoice_payment_failed(session: Session, deps: Deps, obj: dict, outcome: Outcome) -> None:
    invoice = mirror_invoice(session, obj)
    if invoice.status == "paid":
        return  # paid in the meantime: this failure is old news
    subscription = session.get(Subscription, invoice.subscription_id or "", with_for_update=True)
    if subscription is not None:
        subscription.last_payment_failed_at = utcnow()
        subscription.failed_payment_count = max(subscription.failed_payment_count,
                                                invoice.attempt_count)
    tenant = _tenant_for(session, invoice.customer_id)
    if tenant is not None and tenant.stripe_subscription_id in (None, invoice.subscription_id):
        lifecycle.payment_failed(session, deps.catalog, deps.urls, tenant, invoice, outcome)


def invoice_payment_action_required(session: Session, deps: Deps, obj: dict, outcome: Outcome) -> None:
    """The bank wants the customer to confirm a renewal's payment (3-D Secure): past due like a
    failure, with a mail that links the invoice's page where it is confirmed. A suspended tenant
    gets the mail too (paying restores the site) and stays suspended until paid."""
    invoice = mirror_invoice(session, obj)
    if invoice.status != "open":
        return  # paid or voided in the meantime
    invoice.action_required = True
    tenant = _tenant_for(session, invoice.customer_id)
    if tenant is not None and tenant.stripe_subscription_id in (None, invoice.subscription_id):
        lifecycle.payment_failed(session, deps.catalog, deps.urls, tenant, invoice, outcome)


def handle(session: Session, deps: Deps, event: dict) -> Outcome:
    outcome = Outcome()
    obj = event["data"]["object"]
    match event["type"]:
        case "checkout.session.completed":
            checkout_completed(session, obj, outcome)
        case "checkout.session.expired":
            checkout_expired(session, obj, outcome)
        case ("customer.subscription.created" | "customer.subscription.updated"
              | "customer.subscription.deleted"):
            subscription_changed(session, deps, obj, outcome)
        case "customer.subscription.trial_will_end":
            trial_will_end(session, deps, obj, outcome)
        case "invoice.paid":
            invoice_paid(session, deps, obj, outcome)
        case "invoice.payment_failed":
            invoice_payment_failed(session, deps, obj, outcome)
        case "invoice.payment_action_required":
            invoice_payment_action_required(session, deps, obj, outcome)
        case ("invoice.created" | "invoice.finalized" | "invoice.payment_succeeded"
              | "invoice.voided"):
            mirror_invoice(session, obj)
        case _:
            pass  # stored for the record; nothing to do
    return outcome
