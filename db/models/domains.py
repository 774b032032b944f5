"""Tenants' own domains: claimed in the portal, proven and watched by DNS (tenants/domains.py)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt, one_of, utcnow
from db.models.tenants import prefix_index


class DomainStatus(enum.StrEnum):
    PENDING = "pending"  # claimed; no records found yet
    VERIFIED = "verified"  # ownership and routing proven: served, and reserved for this tenant
    MISCONFIGURED = "misconfigured"  # records found, but not the ones asked for (see ``detail``)
    LOST = "lost"  # was verified, its records are gone: served until ``lost_at`` + the grace


class CustomDomain(CreatedAt, Base):
    __tablename__ = "custom_domains"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        # Only a proven domain is reserved: an unproven claim never blocks its real owner.
        Index("uq_custom_domains_verified_name", "name", unique=True,
              postgresql_where=text("status = 'verified'")),
        Index("ix_custom_domains_next_check_at", "next_check_at"),
        Index("ix_custom_domains_tenant_id", "tenant_id"),
        prefix_index("ix_custom_domains_name_prefix", func.lower(Column("name"))),  # tenant search
        Index("ix_custom_domains_trouble", "tenant_id",  # the tenant list's health (0020)
              postgresql_where=text("status IN ('lost', 'misconfigured')")),
        one_of("status", DomainStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(253))  # lowercase IDNA ("xn--") form, no final dot
    status: Mapped[DomainStatus] = mapped_column(String(16), default=DomainStatus.PENDING)
    is_primary: Mapped[bool] = mapped_column(default=False)  # the address the others redirect to
    detail: Mapped[str | None] = mapped_column(String(1000))  # the last check, in plain words
    verified_at: Mapped[datetime | None]
    lost_at: Mapped[datetime | None]
    last_checked_at: Mapped[datetime | None]
    next_check_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=text("now()"))
    checks_often_until: Mapped[datetime | None]  # every minute until then ("Check now", added)
    failed_checks: Mapped[int] = mapped_column(default=0)  # in a row, for the backoff
