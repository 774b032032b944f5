from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt, one_of
from db.languages import DEFAULT_LANGUAGE, UI_LANGUAGES, in_sql


class SignupStatus(enum.StrEnum):
    PENDING = "pending"  # form accepted, Checkout not yet paid
    PAID = "paid"  # first invoice paid
    READY = "ready"  # tenant live
    # Checkout abandoned or the reservation ran out (subdomain released; the same email and
    # password can resume it while the name is free).
    EXPIRED = "expired"


class Signup(CreatedAt, Base):
    __tablename__ = "signups"
    __table_args__ = (
        one_of("status", SignupStatus),
        # Unpaid reservations by their end: the expiry sweep (migration 0024).
        Index("ix_signups_pending_expiry", "expires_at", "id",
              postgresql_where=text("status = 'pending'")),
        CheckConstraint(f"language IN ({in_sql(UI_LANGUAGES)}) "
                        f"AND site_language IN ({in_sql(UI_LANGUAGES)})", name="languages"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    company: Mapped[str] = mapped_column(String(120))
    subdomain: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    plan_id: Mapped[str] = mapped_column(String(40))
    interval: Mapped[str] = mapped_column(String(8))
    template: Mapped[str] = mapped_column(String(40))
    # The language the signup was made in (the welcome mail's and the owner's), and the one
    # the new site is seeded in (starter content exists in the UI languages).
    language: Mapped[str] = mapped_column(String(8), default=DEFAULT_LANGUAGE,
                                          server_default=DEFAULT_LANGUAGE)
    site_language: Mapped[str] = mapped_column(String(8), default=DEFAULT_LANGUAGE,
                                               server_default=DEFAULT_LANGUAGE)
    status: Mapped[SignupStatus] = mapped_column(String(16), default=SignupStatus.PENDING)
    # Hash of the secret in the HttpOnly cookie of the browser that sent the form: only that
    # browser may use the onboarding page's one sign-in (tenants/onboarding_link.py).
    browser_key_hash: Mapped[str | None] = mapped_column(String(64))
    # An unpaid reservation of the subdomain ends here (the Checkout Session expires with it).
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    checkout_session_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(String(500))
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(64))
    paid_at: Mapped[datetime | None]
    # Checkout was completed with a payment that takes days (SEPA Direct Debit): the name is
    # held (no reservation end) until Stripe says the invoice was paid or the payment failed.
    payment_pending_since: Mapped[datetime | None]
    # Asked for the plan's free trial (granted once per email address and card).
    trial: Mapped[bool] = mapped_column(default=False, server_default="false")
    portal_entered_at: Mapped[datetime | None]  # the onboarding page signs in once
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class TrialClaim(CreatedAt, Base):
    """A free trial given: one per email address (lower case) and per card (its Stripe
    fingerprint), whatever became of the signup or the tenant since."""

    __tablename__ = "trial_claims"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    card_fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    signup_id: Mapped[str | None] = mapped_column(String(36))


class Subdomain(CreatedAt, Base):
    """One row per claimed subdomain: the primary key makes two claims of a name impossible."""

    __tablename__ = "subdomains"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    signup_id: Mapped[str | None] = mapped_column(
        ForeignKey("signups.id", ondelete="CASCADE"), unique=True
    )
