"""Which tenant sites are checked, and when: one ``site_health`` row per live tenant, its
``next_check_at`` on a slot of the interval fixed by a hash of the tenant id (so 10,000 sites
spread evenly over the interval), and the due rows claimed in bounded batches with
``FOR UPDATE SKIP LOCKED`` (two workers never claim the same tenant).

Live: provisioned, and billing active or past due. Suspended and closed sites are offline on
purpose: their rows are deleted (their status is unknown) until they are live again.
Rules take a session and flush; callers commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Delete, Select, TextClause, and_, delete, select, text, true
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models.domains import CustomDomain, DomainStatus
from db.models.monitoring import SiteHealth
from db.models.tenants import BillingState, ProvisioningState, Tenant
from links.urls import Urls
from monitoring.site_checks import Target

LIVE_BILLING = (BillingState.ACTIVE, BillingState.PAST_DUE)
HASH_MULTIPLIER = 2654435761  # Knuth's multiplicative hash: ids spread over the interval
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def live():
    """The condition on ``Tenant`` of a site that is meant to be online."""
    return and_(Tenant.provisioning_state == ProvisioningState.ACTIVE,
                Tenant.billing_state.in_(LIVE_BILLING))


def phase(tenant_id: int, interval: int) -> int:
    """The tenant's second within the interval (the same in SQL, ``PHASE_SQL``)."""
    return (tenant_id * HASH_MULTIPLIER) % 4294967296 % interval


def next_slot(tenant_id: int, interval: int, after: datetime) -> datetime:
    """The first time strictly after ``after`` on the tenant's slot of the interval."""
    seconds = int((after - EPOCH).total_seconds())
    wait = (phase(tenant_id, interval) - seconds) % interval or interval
    return after.replace(microsecond=0) + timedelta(seconds=wait)


def ensure_rows(session: Session, interval: int, now: datetime | None = None,
                batch: int = 5000) -> int:
    """Give live tenants without a ``site_health`` row one (status unknown, first check on
    their slot), at most ``batch`` per call (an anti-join); how many were added."""
    result = session.execute(missing_rows(interval, now or utcnow(), batch))
    return result.rowcount or 0


def missing_rows(interval: int, now: datetime, batch: int = 5000) -> TextClause:
    """``ensure_rows``'s statement: an anti-join of the live tenants (the partial index
    ``ix_tenants_live``, read alone: an index-only scan) with ``site_health``'s key."""
    return text("""
        INSERT INTO site_health (tenant_id, status, status_since, next_check_at,
                                 failures_in_a_row)
        SELECT t.id, 'unknown', :now,
               date_trunc('second', CAST(:now AS timestamptz)) + make_interval(secs => COALESCE(
                   NULLIF((((t.id::bigint * :mult) % 4294967296 % :interval
                            - floor(extract(epoch FROM CAST(:now AS timestamptz)))::bigint)
                           % :interval + :interval) % :interval, 0), :interval)),
               0
        FROM tenants t
        WHERE t.provisioning_state = 'active' AND t.billing_state IN ('active', 'past_due')
          AND NOT EXISTS (SELECT 1 FROM site_health h WHERE h.tenant_id = t.id)
        ORDER BY t.id
        LIMIT :batch
        ON CONFLICT (tenant_id) DO NOTHING
    """).bindparams(now=now, mult=HASH_MULTIPLIER, interval=interval, batch=batch)


def retire_offline(session: Session, batch: int = 5000) -> int:
    """Delete the rows of tenants no longer live (suspended, closed, deleted)."""
    result = session.execute(retire_statement(batch))
    return result.rowcount or 0


def retire_statement(batch: int = 5000) -> Delete:
    """``retire_offline``'s deletion: the rows of tenants not live, found from those tenants
    (the partial index ``ix_tenants_offline``), each looked up by its key (a lateral
    subquery), rather than from every row."""
    row = (select(SiteHealth.tenant_id).where(SiteHealth.tenant_id == Tenant.id)
           .limit(1).lateral())
    offline = (select(row.c.tenant_id).select_from(Tenant).join(row, true())
               .where(~live()).limit(batch))
    return delete(SiteHealth).where(SiteHealth.tenant_id.in_(offline.scalar_subquery()))


def claim_due(session: Session, interval: int, limit: int,
              now: datetime | None = None) -> list[int]:
    """Lock up to ``limit`` due rows of live tenants (skipping rows another worker holds) and
    move each one's next check to its next slot; the ids claimed. Commit at once: the claim
    then holds without a long transaction, and a crash costs one check."""
    now = now or utcnow()
    rows = session.execute(due_query(now, limit)).scalars().all()
    if rows:
        session.execute(
            SiteHealth.__table__.update()
            .where(SiteHealth.tenant_id == text(":tid"))
            .values(next_check_at=text(":next")),
            [{"tid": tenant_id, "next": next_slot(tenant_id, interval, now)}
             for tenant_id in rows])
    return list(rows)


def due_query(now: datetime, limit: int) -> Select:
    """``claim_due``'s selection (through ``ix_site_health_next_check_at``)."""
    return (select(SiteHealth.tenant_id).join(Tenant, Tenant.id == SiteHealth.tenant_id)
            .where(SiteHealth.next_check_at <= now, live())
            .order_by(SiteHealth.next_check_at).limit(limit)
            .with_for_update(of=SiteHealth, skip_locked=True))


def targets(session: Session, urls: Urls, tenant_ids: Iterable[int],
            domain_plans: Iterable[str] | None = None) -> list[Target]:
    """What to request for each tenant: its platform address, and the verified domains of
    tenants whose plan serves them (``domain_plans``; None: any plan)."""
    ids = list(tenant_ids)
    if not ids:
        return []
    tenants = session.execute(select(Tenant.id, Tenant.subdomain, Tenant.plan_id)
                              .where(Tenant.id.in_(ids)).order_by(Tenant.id)).all()
    allowed = None if domain_plans is None else set(domain_plans)
    domains: dict[int, list[str]] = {}
    for tenant_id, name in session.execute(
            select(CustomDomain.tenant_id, CustomDomain.name)
            .where(CustomDomain.tenant_id.in_(ids), CustomDomain.status == DomainStatus.VERIFIED)
            .order_by(CustomDomain.id)):
        domains.setdefault(tenant_id, []).append(urls.address(name))
    return [Target(tenant_id, urls.site(subdomain),
                   tuple(domains.get(tenant_id, ()) if allowed is None or plan in allowed
                         else ()))
            for tenant_id, subdomain, plan in tenants]


def release(session: Session, tenant_ids: Iterable[int], now: datetime | None = None) -> None:
    """Make claimed tenants whose check did not finish due again at once."""
    ids = list(tenant_ids)
    if ids:
        session.execute(SiteHealth.__table__.update().where(SiteHealth.tenant_id.in_(ids))
                        .values(next_check_at=now or utcnow()))
