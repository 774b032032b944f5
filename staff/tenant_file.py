"""Everything the back office shows about one tenant, in one place: plan and billing state
with its timeline, subscription, invoices, usage against the plan's limits, the provisioning
run with each step, the Stripe events of its customer, the mails sent to it, its domains,
members, and what staff did to it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from db.messages import N_
from db.models import (
    CustomDomain,
    Invoice,
    MailLog,
    ProvisioningRun,
    StaffAuditEntry,
    StripeEvent,
    Subscription,
    Tenant,
    TenantEvent,
    User,
)
from db.refusals import Refused
from plans.catalog import Catalog
from plans.entitlements import Usage, all_usage
from staff import audit

RECENT = 50  # events, mails and history entries shown


@dataclass(frozen=True)
class TenantFile:
    tenant: Tenant
    subscription: Subscription | None
    invoices: list[Invoice]
    usage: list[Usage]
    run: ProvisioningRun | None
    timeline: list[TenantEvent]
    stripe_events: list[StripeEvent]
    mails: list[MailLog]
    domains: list[CustomDomain]
    members: list[User]
    audit: list[StaffAuditEntry]


def tenant_or_404(session: Session, tenant_id: int, *, lock: bool = False) -> Tenant:
    tenant = session.get(Tenant, tenant_id, with_for_update=lock or None)
    if tenant is None:
        raise Refused(N_("There is no such tenant."), status=404)
    return tenant


def open_file(session: Session, catalog: Catalog, tenant_id: int) -> TenantFile:
    tenant = tenant_or_404(session, tenant_id)
    customer = tenant.stripe_customer_id
    subscription = session.get(Subscription, tenant.stripe_subscription_id) \
        if tenant.stripe_subscription_id else None
    owners = select(User.email).where(User.tenant_id == tenant.id)
    return TenantFile(
        tenant=tenant,
        subscription=subscription,
        invoices=list(session.scalars(select(Invoice).where(Invoice.customer_id == customer)
                                      .order_by(Invoice.created.desc()).limit(24)))
        if customer else [],
        usage=all_usage(session, catalog, tenant) if catalog.plan(tenant.plan_id) else [],
        run=session.scalar(select(ProvisioningRun).options(selectinload(ProvisioningRun.steps))
                           .where(ProvisioningRun.signup_id == tenant.signup_id))
        if tenant.signup_id else None,
        timeline=list(session.scalars(select(TenantEvent).where(TenantEvent.tenant_id == tenant.id)
                                      .order_by(TenantEvent.id.desc()).limit(RECENT))),
        stripe_events=list(session.scalars(select(StripeEvent).where(StripeEvent.customer_id == customer)
                                           .order_by(StripeEvent.received_at.desc()).limit(RECENT)))
        if customer else [],
        mails=list(session.scalars(select(MailLog).where(or_(
            MailLog.tenant_id == tenant.id, MailLog.to_address.in_(owners)))
            .order_by(MailLog.id.desc()).limit(RECENT))),
        domains=list(session.scalars(select(CustomDomain).where(CustomDomain.tenant_id == tenant.id)
                                     .order_by(CustomDomain.name))),
        members=list(session.scalars(select(User).where(User.tenant_id == tenant.id)
                                     .order_by(User.id))),
        audit=audit.entries(session, tenant_id=tenant.id, size=RECENT),
    )
