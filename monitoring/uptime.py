"""What a check leaves behind, and the uptime read from it.

Each check is a ``site_checks`` row (a healthy one kept ``KEEP_HEALTHY_HOURS``, any other
``KEEP_CHECKS_HOURS``), the tenant's ``site_health``
row (status, since when, critical checks in a row) and one more check in its hour's slot of
``site_uptime_days`` (checks, checks that were up, their summed response time). An "up" check
is healthy or warning. Uptime over the last N hours counts the N hour slots up to and
including the current one. Rules take a session and flush; callers commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Delete, TextClause, delete, func, or_, select, text
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models.monitoring import HOURS, SiteCheck, SiteHealth, SiteStatus, SiteUptimeDay
from monitoring.site_checks import Verdict

WINDOWS = (24, 24 * 7, 24 * 30)  # the uptime shown: 24 hours, 7 days, 30 days
KEEP_CHECKS_HOURS = 48  # a warning or a failure: what staff look into
KEEP_HEALTHY_HOURS = 6  # a healthy check says little once it is counted in its hour
KEEP_UPTIME_DAYS = 90
UP = (SiteStatus.HEALTHY, SiteStatus.WARNING)

_HEALTH = text("""
    UPDATE site_health SET
        status = CAST(:status AS varchar),
        status_since = CASE WHEN status = CAST(:status AS varchar) THEN status_since
                            ELSE CAST(:at AS timestamptz) END,
        checked_at = CAST(:at AS timestamptz), response_ms = :ms, reason = :reason,
        failures_in_a_row = CASE WHEN CAST(:status AS varchar) = 'critical'
                                 THEN failures_in_a_row + 1 ELSE 0 END
    WHERE tenant_id = :tenant_id
""")
_SLOT = text("""
    INSERT INTO site_uptime_days AS d (tenant_id, day, checks, up, response_ms)
    VALUES (:tenant_id, :day, :checks, :ups, :sums)
    ON CONFLICT (tenant_id, day) DO UPDATE SET
        checks[:slot] = d.checks[:slot] + 1,
        up[:slot] = d.up[:slot] + :up,
        response_ms[:slot] = d.response_ms[:slot] + :ms
""")


def _slot_row(verdict: Verdict, at: datetime) -> dict:
    hour = at.astimezone(UTC).hour
    up = int(verdict.status in UP)
    ms = (verdict.response_ms or 0) if up else 0
    checks, ups, sums = [0] * HOURS, [0] * HOURS, [0] * HOURS
    checks[hour], ups[hour], sums[hour] = 1, up, ms
    return {"tenant_id": verdict.tenant_id, "day": at.astimezone(UTC).date(), "slot": hour + 1,
            "up": up, "ms": ms, "checks": checks, "ups": ups, "sums": sums}


def record(session: Session, verdicts: Sequence[Verdict], at: datetime | None = None) -> None:
    """Record checks made at ``at``: the check rows, the health rows, the hour slots."""
    if not verdicts:
        return
    at = at or utcnow()
    session.flush()
    session.execute(SiteCheck.__table__.insert().values([
        {"tenant_id": v.tenant_id, "checked_at": at, "status": v.status,
         "response_ms": v.response_ms, "reason": v.reason} for v in verdicts]))
    session.execute(_HEALTH, [{"tenant_id": v.tenant_id, "status": str(v.status), "at": at,
                               "ms": v.response_ms, "reason": v.reason} for v in verdicts])
    for row in sorted((_slot_row(v, at) for v in verdicts), key=lambda r: r["tenant_id"]):
        session.execute(_SLOT, row)
    session.expire_all()


def _window(hours: int, now: datetime | None) -> tuple[datetime, datetime]:
    """The first and the last hour slot (UTC, naive, as a day plus an hour) of the window."""
    now = (now or utcnow()).astimezone(UTC).replace(tzinfo=None)
    last = now.replace(minute=0, second=0, microsecond=0)
    return last - timedelta(hours=max(1, hours) - 1), last


_SLOTS = """
    SELECT d.tenant_id, sum(s.c) AS checks, sum(s.u) AS up, sum(s.ms) AS ms
    FROM site_uptime_days d CROSS JOIN LATERAL (
        SELECT sum(c) AS c, sum(u) AS u, sum(ms) AS ms
        FROM unnest(d.checks, d.up, d.response_ms) WITH ORDINALITY AS x(c, u, ms, i)
        WHERE d.day + (x.i - 1) * interval '1 hour' BETWEEN :first AND :last) AS s
    WHERE d.day BETWEEN :first_day AND :last_day AND {which}
    GROUP BY d.tenant_id
"""


def _slots(session: Session, hours: int, now: datetime | None, which: str = "true", **params):
    """Per tenant: checks, up checks and their summed response time in the window."""
    first, last = _window(hours, now)
    return session.execute(text(_SLOTS.format(which=which)),
                           {"first_day": first.date(), "last_day": last.date(),
                            "first": first, "last": last, **params})


def _percent(checks, up) -> float | None:
    return None if not checks else round(100.0 * float(up) / float(checks), 3)


def uptime_percent(session: Session, tenant_id: int, hours: int,
                   now: datetime | None = None) -> float | None:
    """The share of up checks over the last ``hours`` hours (None: no check in them)."""
    row = _slots(session, hours, now, "d.tenant_id = :tenant_id", tenant_id=tenant_id).first()
    return None if row is None else _percent(row.checks, row.up)


def uptime_many(session: Session, tenant_ids: Iterable[int], hours: int,
                now: datetime | None = None) -> dict[int, float | None]:
    """``uptime_percent`` of several tenants in one query."""
    ids = list(tenant_ids)
    found = {tenant_id: None for tenant_id in ids}
    if ids:
        for row in _slots(session, hours, now, "d.tenant_id = ANY(:ids)", ids=ids):
            found[row.tenant_id] = _percent(row.checks, row.up)
    return found


def average_ms(session: Session, tenant_id: int, hours: int,
               now: datetime | None = None) -> int | None:
    """The average response time of the up checks over the last ``hours`` hours."""
    row = _slots(session, hours, now, "d.tenant_id = :tenant_id", tenant_id=tenant_id).first()
    return None if row is None or not row.up else int(row.ms / row.up)


def low_uptime_tenants(session: Session, threshold_percent: float, hours: int,
                       now: datetime | None = None) -> list[tuple[int, float]]:
    """Tenants still checked (a ``site_health`` row) whose uptime over the last ``hours`` is
    below ``threshold_percent``, lowest first: ``[(tenant_id, percent)]``."""
    found = []
    for row in session.execute(low_uptime_statement(hours, now)):
        percent = _percent(row.checks, row.up)
        if percent is not None and percent < threshold_percent:
            found.append((row.tenant_id, percent))
    checked = set(session.scalars(select(SiteHealth.tenant_id).where(
        SiteHealth.tenant_id.in_([tenant_id for tenant_id, _ in found])))) if found else set()
    return sorted([pair for pair in found if pair[0] in checked],
                  key=lambda pair: (pair[1], pair[0]))


# Only tenants with a check that was down on a day of the window can be below 100%: found
# through the partial index ``ix_site_uptime_days_down`` (days with a down check), then each
# one's days by its key (a lateral subquery: never a pass over every tenant's day).
_LOW_SLOTS = """
    SELECT d.tenant_id, sum(s.c) AS checks, sum(s.u) AS up, sum(s.ms) AS ms
    FROM (SELECT DISTINCT w.tenant_id FROM site_uptime_days w
          WHERE w.day BETWEEN :first_day AND :last_day AND w.up <> w.checks) AS down
    CROSS JOIN LATERAL (
        SELECT * FROM site_uptime_days d0
        WHERE d0.tenant_id = down.tenant_id AND d0.day BETWEEN :first_day AND :last_day
        OFFSET 0) AS d
    CROSS JOIN LATERAL (
        SELECT sum(c) AS c, sum(u) AS u, sum(ms) AS ms
        FROM unnest(d.checks, d.up, d.response_ms) WITH ORDINALITY AS x(c, u, ms, i)
        WHERE d.day + (x.i - 1) * interval '1 hour' BETWEEN :first AND :last) AS s
    GROUP BY d.tenant_id
"""


def low_uptime_statement(hours: int, now: datetime | None = None) -> TextClause:
    """``low_uptime_tenants``'s query: the window's counts of the tenants with a down check."""
    first, last = _window(hours, now)
    return text(_LOW_SLOTS).bindparams(
        first_day=first.date(), last_day=last.date(), first=first, last=last)


def recent_checks(session: Session, tenant_id: int, limit: int = 20) -> list[SiteCheck]:
    return list(session.scalars(select(SiteCheck).where(SiteCheck.tenant_id == tenant_id)
                                .order_by(SiteCheck.checked_at.desc()).limit(limit)))


def status_counts(session: Session) -> dict[str, int]:
    """How many checked tenants are in each status."""
    return dict(session.execute(select(SiteHealth.status, func.count())
                                .group_by(SiteHealth.status)).all())


def clean_up(session: Session, now: datetime | None = None) -> tuple[int, int]:
    """Delete healthy checks older than ``KEEP_HEALTHY_HOURS``, others older than
    ``KEEP_CHECKS_HOURS``, and uptime days older than ``KEEP_UPTIME_DAYS``; how many of each."""
    old_checks, old_days = clean_up_statements(now or utcnow())
    checks = session.execute(old_checks).rowcount
    days = session.execute(old_days).rowcount
    return checks or 0, days or 0


def clean_up_statements(now: datetime) -> tuple[Delete, Delete]:
    """``clean_up``'s deletions, each a range of an index (``ix_site_checks_checked_at``,
    ``ix_site_uptime_days_day``): they touch only what is old enough."""
    return (delete(SiteCheck).where(
                SiteCheck.checked_at < now - timedelta(hours=KEEP_HEALTHY_HOURS),
                or_(SiteCheck.status == SiteStatus.HEALTHY,
                    SiteCheck.checked_at < now - timedelta(hours=KEEP_CHECKS_HOURS))),
            delete(SiteUptimeDay).where(
                SiteUptimeDay.day < (now - timedelta(days=KEEP_UPTIME_DAYS)).date()))


@dataclass(frozen=True)
class Summary:
    """One tenant's site as the portal, the back office and the CLI show it."""

    tenant_id: int
    health: SiteHealth | None  # None: not checked (not live, or not yet)
    uptime: dict[int, float | None]  # hours -> percent (WINDOWS)

    @property
    def status(self) -> SiteStatus:
        return SiteStatus(self.health.status) if self.health else SiteStatus.UNKNOWN


def summary(session: Session, tenant_id: int, now: datetime | None = None) -> Summary:
    health = session.get(SiteHealth, tenant_id)
    return Summary(tenant_id, health,
                   {hours: uptime_percent(session, tenant_id, hours, now) for hours in WINDOWS})
