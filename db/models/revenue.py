"""The revenue ledger: an append-only history of each subscription's monthly recurring
revenue, written by ``billing/mrr_ledger.py`` whenever the mirror's MRR, its state class or its
plan changes, and read by the back office's figures (``staff/revenue.py``)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, one_of


class MrrState(enum.StrEnum):
    """A subscription's Stripe status, as the figures count it."""

    TRIALING = "trialing"  # a free trial: no revenue yet, counted apart
    ACTIVE = "active"  # paying: the MRR
    PAST_DUE = "past_due"  # a payment failed (past_due, unpaid): its MRR is counted apart
    CANCELED = "canceled"  # ended (canceled, incomplete_expired) or paused: no revenue


class MrrMovement(enum.StrEnum):
    """What a change did to the committed MRR (``mrr_cents``: paying and past-due together)."""

    NEW = "new"  # from nothing, a customer that never paid before
    EXPANSION = "expansion"  # more than before (an upgrade, a discount ending)
    CONTRACTION = "contraction"  # less than before, but not nothing (a downgrade, a discount)
    CHURN = "churn"  # down to nothing (cancelled)
    REACTIVATION = "reactivation"  # from nothing, a customer that paid before
    NONE = "none"  # the same MRR (a trial starting, a payment failing, a trial plan change)


class MrrChange(Base):
    """One row each time a subscription's MRR, state class or plan changes; never updated.

    ``mrr_cents`` is what the subscription brings in a month, after its discount and without
    VAT, while it is committed: active, or past due after having paid. It is 0 while trialing,
    cancelled, or past due without ever having paid (a trial that ended unpaid)."""

    __tablename__ = "mrr_changes"
    __table_args__ = (
        one_of("state", MrrState),
        one_of("previous_state", MrrState),
        one_of("kind", MrrMovement),
        Index("ix_mrr_changes_subscription_id_at", "subscription_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    # The tenant, when it exists yet (a signup's first events come before provisioning).
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    plan_id: Mapped[str | None] = mapped_column(String(40))
    interval: Mapped[str | None] = mapped_column(String(8))
    mrr_cents: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[MrrState] = mapped_column(String(16))
    previous_mrr_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    previous_state: Mapped[MrrState | None] = mapped_column(String(16))  # None: the first row
    kind: Mapped[MrrMovement] = mapped_column(String(16))
