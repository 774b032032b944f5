"""Scheduled billing jobs: end grace periods, remind and delete after retention.

Each is idempotent and safe to run from several workers at once: it re-reads every tenant
under the customer's advisory lock (the one event processing takes) before changing it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, select, tuple_

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


BATCH = 200  # tenants per selection
BATCHES = 10  # selections per run at most: the rest waits for the next run


def grace_ended(now: datetime, limit: int = BATCH, after: tuple | None = None) -> Select:
    """Past-due tenants whose grace period ended, by ``(grace_until, id)`` after ``after`` (the
    last of the batch before), through the partial index ``ix_tenants_grace_due``."""
    query = select(Tenant.id, Tenant.grace_until).where(
        Tenant.billing_state == BillingState.PAST_DUE, Tenant.grace_until < now)
    if after is not None:
        query = query.where(tuple_(Tenant.grace_until, Tenant.id) > tuple_(*after))
    return query.order_by(Tenant.grace_until, Tenant.id).limit(limit)


def retention_due(now: datetime, retention: timedelta, limit: int = BATCH,
                  after: tuple | None = None) -> Select:
    """Closed tenants within a week of their deletion or past it, by ``(closed_at, id)`` after
    ``after``, through the partial index ``ix_tenants_retention_due``."""
    query = select(Tenant.id, Tenant.closed_at).where(
        Tenant.billing_state == BillingState.CLOSED,
        Tenant.closed_at < now - retention + REMINDER_BEFORE_DELETION)
    if after is not None:
        query = query.where(tuple_(Tenant.closed_at, Tenant.id) > tuple_(*after))
    return query.order_by(Tenant.closed_at, Tenant.id).limit(limit)


def _batches(session, selection) -> Iterator[int]:
    """The ids of ``selection(after)``, batch after batch (keyset: a tenant left due, a
    provider down, is not met again in this run), ``BATCHES`` at most."""
    after = None
    for _ in range(BATCHES):
        rows = session.execute(selection(after)).all()
        session.commit()  # no snapshot held while the batch is worked through
        yield from (tenant_id for tenant_id, _ in rows)
        if len(rows) < BATCH:
            return
        after = (rows[-1][1], rows[-1][0])


def expire_grace() -> int:
    """Suspend past-due tenants whose grace period has ended. Several workers at once: each
    tenant is re-read under the customer's lock and suspended only while still due."""
    urls, suspended, now = services().urls, 0, utcnow()
    with job_session() as session:
        for tenant_id in _batches(session, lambda after: grace_ended(now, after=after)):
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
    deleted, now = 0, utcnow()
    with job_session() as session:
        for tenant_id in _batches(session, lambda after: retention_due(now, retention, after=after)):
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
