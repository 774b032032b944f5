"""The agency's own people: staff accounts (apart from tenants' users), their second factor,
and the audit log of everything they do (``staff/``)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt, one_of


class StaffRole(enum.StrEnum):
    ADMIN = "admin"  # everything
    SUPPORT = "support"  # read, and the safe repairs
    FINANCE = "finance"  # revenue only


class StaffUser(CreatedAt, Base):
    __tablename__ = "staff_users"
    __table_args__ = (Index("ix_staff_users_email_lower", func.lower("email"), unique=True),
                      one_of("role", StaffRole))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    # The TOTP secret (base32). Set at enrolment, on the first sign-in; confirmed with a code.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_confirmed_at: Mapped[datetime | None]
    last_totp_step: Mapped[int] = mapped_column(BigInteger, default=0)  # no code works twice
    recovery_code_hashes: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    last_sign_in_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]


class StaffAuditEntry(Base):
    """One staff action (or refusal), never changed or deleted: the database refuses it."""

    __tablename__ = "staff_audit"
    __table_args__ = (Index("ix_staff_audit_tenant_id", "tenant_id"),
                      Index("ix_staff_audit_at", "at"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    staff_email: Mapped[str] = mapped_column(String(254))  # as it was then
    action: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[int | None]  # no foreign key: the entry outlives a deleted tenant
    reason: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(16), default="done")  # done, refused
    details: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")


class StaffApiToken(CreatedAt, Base):
    """A staff member's token for the platform API (``/api/platform``, ``staff/api_tokens.py``):
    shown once, stored as a hash, found by its public prefix. It acts with its owner's role,
    and stops working when revoked or when its owner is disabled."""

    __tablename__ = "staff_api_tokens"
    __table_args__ = (Index("ix_staff_api_tokens_staff_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
