from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt, one_of


class MailStatus(enum.StrEnum):
    PENDING = "pending"  # queued, or being sent
    SENT = "sent"  # accepted by the provider
    FAILED = "failed"  # refused, or attempts used up (``contyzr mail retry`` re-queues it)


class MailLog(CreatedAt, Base):
    """One row per mail occurrence; the unique idempotency key is the real exactly-once guard."""

    __tablename__ = "mail_log"
    __table_args__ = (
        one_of("status", MailStatus),
        # The outbox sweep's queued mails and the mail_failing alert rule's (migration 0024).
        Index("ix_mail_log_queued", "created_at",
              postgresql_where=text("status = 'pending' AND params IS NOT NULL")),
        Index("ix_mail_log_not_sent", "created_at",
              postgresql_where=text("status IN ('pending', 'failed')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(254))
    tenant_id: Mapped[int | None] = mapped_column(
        ForeignKey("tenants.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[MailStatus] = mapped_column(String(16), default=MailStatus.PENDING)
    # For mails queued as an outbox row: what the mail's context function is called with.
    params: Mapped[dict | None] = mapped_column(JSONB)
    attempts: Mapped[int] = mapped_column(default=0)
    provider_id: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(Text)
    accepted_at: Mapped[datetime | None]
