from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Index, Numeric, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class StripeEvent(Base):
    """Every webhook delivery, stored by Stripe's event id before anything else happens."""

    __tablename__ = "stripe_events"
    __table_args__ = (
        Index("ix_stripe_events_unprocessed", "received_at", postgresql_where="processed_at IS NULL"),
        # The sweep's and the alert rules' (migration 0024).
        Index("ix_stripe_events_due", "received_at",
              postgresql_where="processed_at IS NULL AND failed_at IS NULL"),
        Index("ix_stripe_events_failed", "failed_at", postgresql_where="failed_at IS NOT NULL"),
        Index("ix_stripe_events_payment_failed", "received_at",
              postgresql_where="type = 'invoice.payment_failed'"),
    )

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    account: Mapped[str | None] = mapped_column(String(64))  # a Connect event's account
    created: Mapped[datetime]  # Stripe's own timestamp of the event
    payload: Mapped[dict] = mapped_column(JSONB)
    # The moment of the insert (not its transaction's start): the order events arrived in.
    received_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None]
    # When the sweep may enqueue it again after a failed attempt (exponential backoff).
    next_attempt_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]  # given up on: attempts used up, or it cannot be handled


class Subscription(Base):
    """Local mirror of a Stripe subscription, always written from a fresh fetch."""

    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    signup_id: Mapped[str | None] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(24))
    plan_id: Mapped[str | None] = mapped_column(String(40))
    interval: Mapped[str | None] = mapped_column(String(8))
    price_lookup_key: Mapped[str | None] = mapped_column(String(80))
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    current_period_end: Mapped[datetime | None]
    canceled_at: Mapped[datetime | None]
    cancellation_reason: Mapped[str | None] = mapped_column(String(40))
    # Why the customer cancelled (Stripe's cancellation_details.feedback and comment).
    cancellation_feedback: Mapped[str | None] = mapped_column(String(40))
    cancellation_comment: Mapped[str | None] = mapped_column(String(500))
    discount_coupon: Mapped[str | None] = mapped_column(String(80))  # the discount it runs with
    trial_end: Mapped[datetime | None]  # a free trial's end, while it is trialing
    last_payment_failed_at: Mapped[datetime | None]
    failed_payment_count: Mapped[int] = mapped_column(default=0)
    # What the subscription is charged with (its default payment method at Stripe): ``card``
    # (with brand) or ``sepa_debit`` (also after iDEAL or Bancontact), and its last four digits.
    payment_method_type: Mapped[str | None] = mapped_column(String(32))
    payment_method_brand: Mapped[str | None] = mapped_column(String(32))
    payment_method_last4: Mapped[str | None] = mapped_column(String(4))
    synced_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Invoice(Base):
    """Local mirror of Stripe invoices (payments and failures), for billing pages and revenue."""

    __tablename__ = "invoices"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    subscription_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    billing_reason: Mapped[str | None] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(8), default="eur")
    amount_due: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    attempt_count: Mapped[int] = mapped_column(default=0)
    hosted_invoice_url: Mapped[str | None] = mapped_column(String(500))
    invoice_pdf: Mapped[str | None] = mapped_column(String(500))
    created: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    # As Stripe issued it: the number, the totals with and without VAT, the VAT (one rate per
    # invoice here, with Stripe Tax's reason: standard_rated, reverse_charge, not_collecting),
    # and the customer's name, address and tax ids printed on it.
    number: Mapped[str | None] = mapped_column(String(64))
    total: Mapped[int | None] = mapped_column(BigInteger)
    total_excluding_tax: Mapped[int | None] = mapped_column(BigInteger)
    tax: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    tax_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    taxability_reason: Mapped[str | None] = mapped_column(String(40))
    customer_name: Mapped[str | None] = mapped_column(String(255))
    customer_address: Mapped[dict | None] = mapped_column(JSONB)
    customer_tax_ids: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    # The customer must confirm the payment (3-D Secure) on the hosted invoice page.
    action_required: Mapped[bool] = mapped_column(default=False, server_default="false")
