"""What a check leaves behind and the uptime read from it: a known sequence of checks gives
known figures over 24 hours, 7 and 30 days; the health row counts critical checks in a row;
old checks are cleaned up; rows come and go with the tenant being live; the due rows are
spread over the interval and claimed once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from db.models import SiteCheck, SiteHealth, SiteStatus, SiteUptimeDay
from db.models.tenants import BillingState
from monitoring import check_rounds, uptime
from monitoring.site_checks import Verdict

import factories

NOW = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)
H, W, C = SiteStatus.HEALTHY, SiteStatus.WARNING, SiteStatus.CRITICAL


def _tenant(app, db_session):
    tenant = factories.tenant(app, db_session)
    check_rounds.ensure_rows(db_session, 300, NOW - timedelta(days=40))
    return tenant


def _check(db_session, tenant_id, status, at, ms=100):
    uptime.record(db_session, [Verdict(tenant_id, status, ms if status != C else None,
                                       None if status != C else "HTTP 500")], at)


def test_uptime_figures_match_a_known_sequence_of_checks(app, db_session):
    tenant = _tenant(app, db_session)
    other = _tenant(app, db_session)
    # Today: 12 checks in this hour, 3 of them critical -> 75 % over 24 h.
    for minute in range(12):
        _check(db_session, tenant.id, C if minute < 3 else H, NOW.replace(minute=0)
               + timedelta(minutes=minute, seconds=5))
    # Three days ago: 4 checks all down; 20 days ago: 4 checks up (a warning is up).
    for n in range(4):
        _check(db_session, tenant.id, C, NOW - timedelta(days=3, minutes=5 * n))
        _check(db_session, tenant.id, W, NOW - timedelta(days=20, minutes=5 * n))
    # 40 days ago: outside every window.
    _check(db_session, tenant.id, C, NOW - timedelta(days=40))
    _check(db_session, other.id, H, NOW)

    assert uptime.uptime_percent(db_session, tenant.id, 24, now=NOW) == 75.0
    assert uptime.uptime_percent(db_session, tenant.id, 24 * 7, now=NOW) == 56.25  # 9 of 16
    assert uptime.uptime_percent(db_session, tenant.id, 24 * 30, now=NOW) == 65.0  # 13 of 20
    assert uptime.uptime_percent(db_session, tenant.id, 24, now=NOW + timedelta(days=60)) is None
    assert uptime.uptime_many(db_session, [tenant.id, other.id], 24, now=NOW) == {
        tenant.id: 75.0, other.id: 100.0}
    low = uptime.low_uptime_tenants(db_session, 99.0, 24 * 7, now=NOW)
    assert (tenant.id, 56.25) in low and all(tid != other.id for tid, _ in low)
    assert uptime.average_ms(db_session, tenant.id, 24, now=NOW) == 100
    # The slots are compact: one row per tenant and day.
    days = db_session.scalars(select(SiteUptimeDay).where(SiteUptimeDay.tenant_id == tenant.id)
                              .order_by(SiteUptimeDay.day.desc())).all()
    assert len(days) == 4
    assert days[0].checks[12] == 12 and days[0].up[12] == 9 and days[0].response_ms[12] == 900


def test_the_health_row_counts_critical_checks_in_a_row(app, db_session):
    tenant = _tenant(app, db_session)
    _check(db_session, tenant.id, H, NOW)
    _check(db_session, tenant.id, C, NOW + timedelta(minutes=5))
    _check(db_session, tenant.id, C, NOW + timedelta(minutes=10))
    health = db_session.get(SiteHealth, tenant.id)
    assert (health.status, health.failures_in_a_row, health.reason) == (C, 2, "HTTP 500")
    assert health.status_since == NOW + timedelta(minutes=5)
    assert health.checked_at == NOW + timedelta(minutes=10)
    _check(db_session, tenant.id, H, NOW + timedelta(minutes=15))
    health = db_session.get(SiteHealth, tenant.id)
    assert (health.status, health.failures_in_a_row, health.response_ms) == (H, 0, 100)


def test_healthy_checks_are_kept_six_hours_others_two_days(app, db_session):
    tenant = _tenant(app, db_session)
    for hours, status in ((49, C), (47, C), (30, W), (7, H), (5, H)):
        _check(db_session, tenant.id, status, NOW - timedelta(hours=hours))
    uptime.clean_up(db_session, now=NOW)
    kept = db_session.scalars(select(SiteCheck.checked_at).where(SiteCheck.tenant_id == tenant.id)
                              .order_by(SiteCheck.checked_at)).all()
    assert kept == [NOW - timedelta(hours=hours) for hours in (47, 30, 5)]
    # The hour slots keep counting what was deleted.
    assert uptime.uptime_percent(db_session, tenant.id, 24 * 7, now=NOW) == 60.0


def test_rows_follow_the_tenant_being_live_and_are_spread_over_the_interval(app, db_session):
    tenants = [factories.tenant(app, db_session) for _ in range(3)]
    check_rounds.ensure_rows(db_session, 300, NOW)
    rows = {row.tenant_id: row for row in db_session.scalars(
        select(SiteHealth).where(SiteHealth.tenant_id.in_([t.id for t in tenants])))}
    assert len(rows) == 3
    for tenant in tenants:
        row = rows[tenant.id]
        assert row.status == SiteStatus.UNKNOWN
        assert NOW < row.next_check_at <= NOW + timedelta(seconds=300)
        assert row.next_check_at == check_rounds.next_slot(tenant.id, 300, NOW)
    tenants[0].billing_state = BillingState.SUSPENDED
    db_session.flush()
    check_rounds.retire_offline(db_session)
    assert db_session.get(SiteHealth, tenants[0].id) is None
    claimed = check_rounds.claim_due(db_session, 300, 100, now=NOW + timedelta(seconds=301))
    assert tenants[0].id not in claimed and {tenants[1].id, tenants[2].id} <= set(claimed)
    # Claimed rows move to their next slot: not due again in this interval.
    again = check_rounds.claim_due(db_session, 300, 100, now=NOW + timedelta(seconds=302))
    assert not {tenants[1].id, tenants[2].id} & set(again)


def test_the_checks_and_their_clean_up_are_scheduled():
    from worker.jobs.site_health import check_sites, clean_site_checks
    from worker.schedule import PERIODIC

    assert (check_sites, 60) in PERIODIC and (clean_site_checks, 3600) in PERIODIC
