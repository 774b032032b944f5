"""Messages sent through a tenant site's contact form, read in the portal's inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt


class ContactSubmission(CreatedAt, Base):
    __tablename__ = "contact_submissions"
    __table_args__ = (Index("ix_contact_submissions_tenant_id", "tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    message: Mapped[str] = mapped_column(Text)
    page_slug: Mapped[str] = mapped_column(String(80), default="")  # the page the form was on
    handled_at: Mapped[datetime | None]
