"""The AI writing assistant's requests (``tenants/assistant/``): one row per request a tenant
makes, counted against its plan's ``ai_requests`` a month, with the tokens the provider
reported, so staff see what each tenant costs."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, one_of, utcnow


class AssistantAction(enum.StrEnum):
    DRAFT = "draft"  # a text block or a post from a brief
    REWRITE = "rewrite"  # a selected text: shorter, friendlier, more formal
    META = "meta"  # a meta description
    TRANSLATE = "translate"  # a page into another of the site's languages


class RequestStatus(enum.StrEnum):
    PENDING = "pending"  # counted, the provider asked
    DONE = "done"  # answered in full
    FAILED = "failed"  # the provider failed or the answer broke off: not counted


class AssistantRequest(Base):
    __tablename__ = "assistant_requests"
    __table_args__ = (
        Index("ix_assistant_requests_tenant_month", "tenant_id", "created_at"),
        Index("ix_assistant_requests_revision", "revision_id", postgresql_where="revision_id IS NOT NULL"),
        one_of("action", AssistantAction),
        one_of("status", RequestStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[AssistantAction] = mapped_column(String(10))
    status: Mapped[RequestStatus] = mapped_column(String(8), default=RequestStatus.PENDING)
    model: Mapped[str] = mapped_column(String(100))
    prompt_tokens: Mapped[int] = mapped_column(default=0)
    completion_tokens: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # the revision its proposal was saved in, once the person accepted it and saved
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("content_revisions.id", ondelete="SET NULL"))
