"""Monitoring: each live tenant site's health (``monitoring/site_checks.py``), its checks and
uptime kept compactly (``monitoring/uptime.py``), and the incidents the alert rules open and
resolve (``monitoring/alerts.py``)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, one_of, utcnow

HOURS = 24  # the slots of a SiteUptimeDay, one per hour of the day (UTC)


class SiteStatus(enum.StrEnum):
    HEALTHY = "healthy"  # answered 200 in time on every address
    WARNING = "warning"  # answered, but slowly, or one of its own domains failed
    CRITICAL = "critical"  # an error, no answer in time, garbage or a redirect loop
    UNKNOWN = "unknown"  # not checked yet


class SiteHealth(Base):
    """One row per live tenant: the last verdict, and when the next check is due."""

    __tablename__ = "site_health"
    __table_args__ = (
        Index("ix_site_health_next_check_at", "next_check_at"),
        # The site_down and site_slow alert rules (migration 0024).
        Index("ix_site_health_trouble", "tenant_id",
              postgresql_where=text("status IN ('critical', 'warning')")),
        one_of("status", SiteStatus),
    )

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"),
                                           primary_key=True)
    status: Mapped[SiteStatus] = mapped_column(String(8), default=SiteStatus.UNKNOWN)
    status_since: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
    checked_at: Mapped[datetime | None]
    next_check_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
    response_ms: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(String(200))  # in English, for staff and the log
    failures_in_a_row: Mapped[int] = mapped_column(default=0)  # critical checks in a row


class SiteCheck(Base):
    """A single check, kept for two days (the recent list, an incident's detail); older
    checks live on only as the counts of ``SiteUptimeDay``."""

    __tablename__ = "site_checks"
    __table_args__ = (
        Index("ix_site_checks_checked_at", "checked_at"),  # the clean-up
        one_of("status", SiteStatus),
    )

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"),
                                           primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(primary_key=True)
    status: Mapped[SiteStatus] = mapped_column(String(8))
    response_ms: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(String(200))


class SiteUptimeDay(Base):
    """Per tenant and day (UTC): checks, checks that were up, and their summed response time,
    each per hour of the day (24 slots). A month of 10,000 tenants is 300,000 small rows."""

    __tablename__ = "site_uptime_days"
    __table_args__ = (
        Index("ix_site_uptime_days_day", "day"),  # the clean-up (migration 0024)
        # Days with a check that was down: the uptime alert rule's candidates (0024).
        Index("ix_site_uptime_days_down", "day", postgresql_where=text("up <> checks")),
    )

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"),
                                           primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    checks: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger))
    up: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger))
    response_ms: Mapped[list[int]] = mapped_column(ARRAY(Integer))


class Incident(Base):
    """Something an alert rule found wrong, from when it opened until it resolved. At most one
    open incident per rule and subject; staff are told once when it opens and once when it
    resolves (``*_mailed_at``, ``*_posted_at`` record that each message went out)."""

    __tablename__ = "incidents"
    __table_args__ = (
        Index("uq_incidents_open", "rule", "subject", unique=True,
              postgresql_where=text("resolved_at IS NULL")),
        Index("ix_incidents_opened_at", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(120))  # "tenant:42", "queue:billing", "platform"
    tenant_id: Mapped[int | None]  # the tenant concerned, if any (no key: kept after deletion)
    summary: Mapped[str] = mapped_column(String(300))  # one line, in English
    detail: Mapped[dict] = mapped_column(JSONB, default=dict)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
    resolved_at: Mapped[datetime | None]
    opened_mailed_at: Mapped[datetime | None]
    resolved_mailed_at: Mapped[datetime | None]
    opened_posted_at: Mapped[datetime | None]
    resolved_posted_at: Mapped[datetime | None]
