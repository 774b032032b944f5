"""The revision history of a page, a post or a product (``tenants/revisions.py``): one row each
time someone saves it, with who, when, what changed and a copy of its content then. A proposal
of the writing assistant that was put into the content before saving points at the revision
(``AssistantRequest.revision_id``), so the history marks what the assistant wrote."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, one_of, utcnow


class Change(enum.StrEnum):
    SETTINGS = "settings"  # a page's title, address, navigation and search fields
    BLOCK = "block"  # one block of a page (``detail``: its type)
    POST = "post"
    PRODUCT = "product"
    TRANSLATION = "translation"  # (``language``: which)


class Revision(Base):
    __tablename__ = "content_revisions"
    __table_args__ = (
        CheckConstraint("num_nonnulls(page_id, post_id, product_id) = 1", name="one_item"),
        Index("ix_content_revisions_page", "page_id", "id", postgresql_where="page_id IS NOT NULL"),
        Index("ix_content_revisions_post", "post_id", "id", postgresql_where="post_id IS NOT NULL"),
        Index("ix_content_revisions_product", "product_id", "id",
              postgresql_where="product_id IS NOT NULL"),
        one_of("change", Change),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    page_id: Mapped[int | None] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    change: Mapped[Change] = mapped_column(String(12))
    detail: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(8))
    content: Mapped[dict] = mapped_column(JSONB)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
