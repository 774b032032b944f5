from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, CreatedAt, one_of


class RunStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for a worker (again, after a failed attempt that may be retried)
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # given up: listed for staff, repaired by ``contyzr provisioning repair``


class StepOutcome(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ProvisioningRun(CreatedAt, Base):
    """One run per signup (unique): the database, not a Redis lock, keeps provisioning single."""

    __tablename__ = "provisioning_runs"
    __table_args__ = (
        one_of("status", RunStatus),
        # The back office's tenant list finds tenants whose provisioning failed (migration 0020).
        Index("ix_provisioning_runs_failed", "tenant_id", postgresql_where=text("status = 'failed'")),
        # Runs not finished: the stuck-run sweep and alert rule (migration 0024).
        Index("ix_provisioning_runs_unfinished", "created_at",
              postgresql_where=text("status IN ('queued', 'running')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    signup_id: Mapped[str] = mapped_column(ForeignKey("signups.id"), unique=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="SET NULL"))
    status: Mapped[RunStatus] = mapped_column(String(16), default=RunStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]

    steps: Mapped[list[ProvisioningStep]] = relationship(
        back_populates="run", order_by="ProvisioningStep.id", cascade="all, delete-orphan"
    )


class ProvisioningStep(Base):
    __tablename__ = "provisioning_steps"
    __table_args__ = (UniqueConstraint("run_id", "name"), one_of("outcome", StepOutcome))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("provisioning_runs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[StepOutcome] = mapped_column(String(16), default=StepOutcome.RUNNING)
    detail: Mapped[str | None] = mapped_column(Text)

    run: Mapped[ProvisioningRun] = relationship(back_populates="steps")
