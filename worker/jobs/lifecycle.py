"""Scheduled billing jobs: end grace periods, remind and delete after retention.

Each is idempotent and safe to run from several workers at once: it re-reads every tenant
under the customer's advisory lock (the one event processing takes) before changing it.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from db.base import utcnow
from db.locks import lock_customer
from db.models import Tenant
from db.models.tenants import BillingState
from tenants import lifecycle
from tenants.lifecycle import REMINDER_BEFORE_DELETION, Effects
from tenants.providers import ProviderError, providers_from_config, remove_everywhere, site_spec
from tenants.retention import delete_data
from worker.context import job_session, queues
from worker.jobs.mail import enqueue_delivery
from worker.services import services


def _locked(session, tenant_id: int) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant.stripe_customer_id:
        lock_customer(session, tenant.stripe_customer_id)
    return session.get(Tenant, tenant_id, with_for_update=True, populate_existing=True)


def _deliver(effects: Effects) -> None:
    for key in effects.mail_keys:
        enqueue_delivery(queues(), key)


def _remove_site(tenant: Tenant, platform_domain: str) -> str | None:
    """Remove the site at the providers (its DNS record): the detail, or None when one is
    down for now. A provider's refusal is logged and recorded, and does not stop the deletion."""
    site = site_spec(tenant.id, tenant.subdomain, platform_domain)
    try:
        return remove_everywhere(providers_from_config(current_app.config), site)
    except ProviderError as exc:
        if exc.transient:
            current_app.logger.warning("tenant %s: deletion waits for the providers: %s",
                                       tenant.id, exc)
            return None
        current_app.logger.error("tenant %s: left at a provider, remove it there: %s",
                                 tenant.id, exc)
        return f"left at a provider: {exc}"


def expire_grace() -> int:
    """Suspend past-due tenants whose grace period has ended."""
    urls, suspended = services().urls, 0
    with job_session() as session:
        due = session.scalars(select(Tenant.id).where(
            Tenant.billing_state == BillingState.PAST_DUE, Tenant.grace_until < utcnow())).all()
        for tenant_id in due:
            tenant, effects = _locked(session, tenant_id), Effects()
            if tenant.billing_state == BillingState.PAST_DUE and tenant.grace_until < utcnow():
                suspended += lifecycle.suspend(session, urls, tenant, "grace period ended", effects)
            session.commit()
            _deliver(effects)
    return suspended


def enforce_retention() -> int:
    """Remind closed tenants 7 days before deletion; delete their data when retention ends."""
    config = current_app.config
    urls, retention = services().urls, timedelta(days=config["RETENTION_DAYS"])
    deleted = 0
    with job_session() as session:
        closed = session.scalars(select(Tenant.id).where(
            Tenant.billing_state == BillingState.CLOSED,
            Tenant.closed_at < utcnow() - retention + REMINDER_BEFORE_DELETION)).all()
        for tenant_id in closed:
            tenant, effects = _locked(session, tenant_id), Effects()
            if tenant.billing_state != BillingState.CLOSED:
                session.commit()
                continue
            delete_on = tenant.closed_at + retention
            if utcnow() >= delete_on:
                removed = _remove_site(tenant, urls.platform_domain)
                if removed is None:
                    session.commit()
                    continue  # a provider is down: the deletion waits for the next run
                delete_data(session, tenant, services().media)
                lifecycle.record(session, tenant, "data_deleted",
                                 f"retention of {retention.days} days; {removed}")
                deleted += 1
            else:
                lifecycle.remind_before_deletion(session, urls, tenant, delete_on, effects)
            session.commit()
            _deliver(effects)
    return deleted
