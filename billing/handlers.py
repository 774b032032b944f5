"""The billing state machine: one handler per Stripe event type.

``handle(session, client, catalog, event)`` is idempotent and independent of order: it reads
the current subscription from Stripe rather than trusting the payload, and returns the
follow-up work (provisioning) for the caller to enqueue after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import stripe
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.catalog import Catalog
from billing.stripe_client import as_dict
from billing.subscriptions import (
    invoice_metadata,
    mirror_invoice,
    mirror_subscription,
)
from db.base import utcnow
from db.models import ProvisioningRun, Signup, Subscription, Tenant
from tenants import subdomains


@dataclass
class Outcome:
    provision: list[str] = field(default_factory=list)  # signup ids to provision
    tenant_ids: list[int] = field(default_factory=list)  # tenants whose billing changed


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
    if not customer_id:
        return None
    return session.scalar(
        select(Tenant).where(Tenant.stripe_customer_id == customer_id).with_for_update())


def checkout_completed(session: Session, obj: dict, outcome: Outcome) -> None:
    signup = _signup_for(session, obj.get("customer"),
                         (obj.get("metadata") or {}).get("signup_id") or obj.get("client_reference_id"))
    if signup is None:
        return
    signup.stripe_customer_id = signup.stripe_customer_id or obj.get("customer")
    signup.stripe_subscription_id = obj.get("subscription") or signup.stripe_subscription_id


def checkout_expired(session: Session, obj: dict, outcome: Outcome) -> None:
    signup = _signup_for(session, obj.get("customer"), (obj.get("metadata") or {}).get("signup_id"))
    # Only the signup's current session counts: an older one is expired when a form is resent.
    if signup is None or signup.status != "pending" or signup.checkout_session_id != obj["id"]:
        return
    signup.status = "expired"
    subdomains.release(session, signup.id)


def subscription_changed(session: Session, client: stripe.StripeClient, catalog: Catalog,
                         obj: dict, outcome: Outcome) -> Subscription:
    fresh = as_dict(client.v1.subscriptions.retrieve(obj["id"]))
    mirror = mirror_subscription(session, catalog, fresh)
    signup = _signup_for(session, mirror.customer_id, mirror.signup_id)
    if signup is not None and not signup.stripe_subscription_id:
        signup.stripe_subscription_id = mirror.id
    tenant = _tenant_for(session, mirror.customer_id)
    if tenant is not None and mirror.plan_id:
        tenant.plan_id, tenant.interval = mirror.plan_id, mirror.interval
        tenant.stripe_subscription_id = mirror.id
        outcome.tenant_ids.append(tenant.id)
    return mirror


def invoice_paid(session: Session, obj: dict, outcome: Outcome) -> None:
    invoice = mirror_invoice(session, obj)
    tenant = _tenant_for(session, invoice.customer_id)
    if tenant is not None:
        outcome.tenant_ids.append(tenant.id)
        return
    signup = _signup_for(session, invoice.customer_id, invoice_metadata(obj).get("signup_id"))
    if signup is None or signup.status not in ("pending", "paid"):
        return
    if signup.status == "pending":
        signup.status = "paid"
        signup.paid_at = utcnow()
        signup.stripe_subscription_id = signup.stripe_subscription_id or invoice.subscription_id
    if session.scalar(select(ProvisioningRun.id).where(ProvisioningRun.signup_id == signup.id)):
        return
    session.add(ProvisioningRun(signup_id=signup.id, status="queued"))
    session.flush()
    outcome.provision.append(signup.id)


def invoice_payment_failed(session: Session, obj: dict, outcome: Outcome) -> None:
    invoice = mirror_invoice(session, obj)
    if invoice.status == "paid":
        return
    subscription = session.get(Subscription, invoice.subscription_id or "", with_for_update=True)
    if subscription is not None:
        subscription.last_payment_failed_at = utcnow()
        subscription.failed_payment_count = max(subscription.failed_payment_count,
                                                invoice.attempt_count)
    tenant = _tenant_for(session, invoice.customer_id)
    if tenant is not None:
        outcome.tenant_ids.append(tenant.id)


def handle(session: Session, client: stripe.StripeClient, catalog: Catalog, event: dict) -> Outcome:
    outcome = Outcome()
    obj = event["data"]["object"]
    match event["type"]:
        case "checkout.session.completed":
            checkout_completed(session, obj, outcome)
        case "checkout.session.expired":
            checkout_expired(session, obj, outcome)
        case ("customer.subscription.created" | "customer.subscription.updated"
              | "customer.subscription.deleted"):
            subscription_changed(session, client, catalog, obj, outcome)
        case "invoice.paid":
            invoice_paid(session, obj, outcome)
        case "invoice.payment_failed":
            invoice_payment_failed(session, obj, outcome)
        case "invoice.created" | "invoice.finalized" | "invoice.payment_succeeded":
            mirror_invoice(session, obj)
        case _:
            pass  # stored for the record; nothing to do
    return outcome
