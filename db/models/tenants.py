from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, String, false, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt, one_of
from db.languages import DEFAULT_LANGUAGE, SITE_LANGUAGES, UI_LANGUAGES, in_sql


class ProvisioningState(enum.StrEnum):
    """Whether the tenant is set up yet; what it may do is its ``BillingState``."""

    PROVISIONING = "provisioning"  # being built: hidden, nobody signs in
    ACTIVE = "active"  # provisioned and live


class BillingState(enum.StrEnum):
    """The tenant's billing life cycle (tenants/lifecycle.py); plans/access.py maps it to access."""

    ACTIVE = "active"
    PAST_DUE = "past_due"  # a payment failed: grace until ``grace_until``
    SUSPENDED = "suspended"  # read-only, site offline
    CLOSED = "closed"  # cancelled, data kept until the retention period ends
    DELETED = "deleted"  # data erased after the retention period


class Role(enum.StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"


ROLES = tuple(Role)


def ui_language_check() -> CheckConstraint:
    """``language`` is one the product speaks to people (``ck_<table>_language``)."""
    return CheckConstraint(f"language IN ({in_sql(UI_LANGUAGES)})", name="language")


# A tenant whose site is meant to be online (``monitoring.check_rounds.live``), in SQL.
LIVE_SQL = "provisioning_state = 'active' AND billing_state IN ('active', 'past_due')"


def prefix_index(name: str, expression) -> Index:
    """A btree index on ``expression`` in ``text_pattern_ops``: it serves ``LIKE 'abc%'``
    under any collation (the back office's tenant search, migration 0020)."""
    labelled = expression.label(name)
    return Index(name, labelled, postgresql_ops={name: "text_pattern_ops"})


class Tenant(CreatedAt, Base):
    __tablename__ = "tenants"
    __table_args__ = (
        one_of("provisioning_state", ProvisioningState), one_of("billing_state", BillingState),
        CheckConstraint(f"languages <@ ARRAY[{in_sql(SITE_LANGUAGES)}]::varchar[] "
                        "AND language = ANY(languages)", name="languages"),
        # The back office's tenant search (staff/tenant_search.py, migration 0020).
        prefix_index("ix_tenants_company_prefix", func.lower(Column("company"))),
        prefix_index("ix_tenants_subdomain_prefix", func.lower(Column("subdomain"))),
        Index("ix_tenants_created_at", "created_at", "id"),
        Index("ix_tenants_company_order", func.lower(Column("company")), "id"),  # A-Z
        # The sweeps' due work (migration 0024, tests/db/test_sweep_plans.py).
        Index("ix_tenants_grace_due", "grace_until", postgresql_where=text("billing_state = 'past_due'")),
        Index("ix_tenants_retention_due", "closed_at", "id",
              postgresql_where=text("billing_state = 'closed'")),
        Index("ix_tenants_live", "id", postgresql_where=text(LIVE_SQL)),
        Index("ix_tenants_offline", "id", postgresql_where=text(f"NOT ({LIVE_SQL})")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    signup_id: Mapped[str | None] = mapped_column(ForeignKey("signups.id"), unique=True)
    company: Mapped[str] = mapped_column(String(120))
    subdomain: Mapped[str] = mapped_column(String(40), unique=True)
    plan_id: Mapped[str] = mapped_column(String(40))
    interval: Mapped[str] = mapped_column(String(8))
    template: Mapped[str] = mapped_column(String(40))
    provisioning_state: Mapped[ProvisioningState] = mapped_column(
        String(16), default=ProvisioningState.PROVISIONING)
    billing_state: Mapped[BillingState] = mapped_column(String(24), default=BillingState.ACTIVE)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(64))
    site_settings: Mapped[dict] = mapped_column(JSONB, default=dict)
    # The site's local time, for scheduling posts and showing dates (an IANA zone name).
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Amsterdam",
                                           server_default="Europe/Amsterdam")
    # The public site's default language (served at the root, the fallback of every
    # translation) and all its languages, the default among them (tenants/site_languages.py).
    language: Mapped[str] = mapped_column(String(8), default=DEFAULT_LANGUAGE,
                                          server_default=DEFAULT_LANGUAGE)
    languages: Mapped[list[str]] = mapped_column(
        ARRAY(String(8)), default=lambda: [DEFAULT_LANGUAGE],
        server_default=f"{{{DEFAULT_LANGUAGE}}}")
    # Billing life cycle (see BillingState and plans/access.py)
    past_due_since: Mapped[datetime | None]
    grace_until: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]
    suspension_reason: Mapped[str | None] = mapped_column(String(200))
    closed_at: Mapped[datetime | None]
    data_deleted_at: Mapped[datetime | None]
    # A downgrade chosen in the portal, taking effect when the paid period ends (a Stripe
    # subscription schedule); until then the tenant keeps what it paid for.
    scheduled_plan_id: Mapped[str | None] = mapped_column(String(40))
    scheduled_interval: Mapped[str | None] = mapped_column(String(8))
    scheduled_change_at: Mapped[datetime | None]
    # The catalog's retention offer is made once per tenant, on its way out.
    retention_offer_used_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    # The public site's content version: moved by triggers (migration 0023) in the transaction of
    # every change a visitor can see; the page cache's key (web/public_site/page_cache.py).
    site_version: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")


class User(CreatedAt, Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("ix_users_tenant_id", "tenant_id"),
        Index("ix_users_email_lower", func.lower(Column("email"))),  # sign-in looks up lower(email)
        prefix_index("ix_users_email_prefix", func.lower(Column("email"))),  # tenant search
        prefix_index("ix_users_email_domain_prefix",
                     func.split_part(func.lower(Column("email")), "@", 2)),
        one_of("role", Role),
        ui_language_check(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # The portal's and the mails' language for this person (their profile setting).
    language: Mapped[str] = mapped_column(String(8), default=DEFAULT_LANGUAGE,
                                          server_default=DEFAULT_LANGUAGE)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(String(16), default=Role.EDITOR)
    # Bumped at logout and password change: every session cookie minted before is void.
    session_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None]
    # Whether the contact form's messages are mailed to this member too; each member switches
    # their own. Owners start opted in, everyone else opted out (see ``_opted_in_as``).
    contact_notifications: Mapped[bool] = mapped_column(default=lambda context: _opted_in_as(
        context.get_current_parameters().get("role")), server_default=false())


def _opted_in_as(role: str | None) -> bool:
    """A new user's contact notifications when none are given: on for an owner, off otherwise."""
    return role == Role.OWNER


class LoginToken(CreatedAt, Base):
    """Single-use sign-in links (welcome, password reset, onboarding); only the hash is kept."""

    __tablename__ = "login_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ApiKey(CreatedAt, Base):
    """A key for the JSON API: shown once, stored as a hash, found by its public prefix."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Invite(CreatedAt, Base):
    __tablename__ = "invites"
    __table_args__ = (one_of("role", Role), ui_language_check())

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The invitation mail's language, and the new member's until they choose (the inviter's).
    language: Mapped[str] = mapped_column(String(8), default=DEFAULT_LANGUAGE,
                                          server_default=DEFAULT_LANGUAGE)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]


class TenantEvent(CreatedAt, Base):
    """The tenant's history as staff see it: billing changes, suspensions, staff actions."""

    __tablename__ = "tenant_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(80), default="system")
