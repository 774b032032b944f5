"""Translations of a tenant's content into its site's other languages (plan feature
``multi_language``).

The content rows themselves (``pages``, ``posts``, ``products``) hold the site's default
language; a translation row holds one other language's texts of one row. Slugs, order, images,
prices and publication are the row's own and shared by every language: ``/en/over-ons`` is the
English ``over-ons``. A missing translation (or a missing field of one) falls back to the
default language (tenants/translations.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt
from db.languages import SITE_LANGUAGES, in_sql


def _translation_args(table: str, item: str) -> tuple:
    return (
        UniqueConstraint(item, "language"),
        Index(f"ix_{table}_tenant_id", "tenant_id"),
        CheckConstraint(f"language IN ({in_sql(SITE_LANGUAGES)})", name="language"),
    )


class PageTranslation(CreatedAt, Base):
    __tablename__ = "page_translations"
    __table_args__ = _translation_args("page_translations", "page_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))  # also the navigation's label
    # The page's blocks in this language, the same shape as ``Page.blocks``.
    blocks: Mapped[list] = mapped_column(JSONB, default=list)
    seo_title: Mapped[str | None] = mapped_column(String(120))
    seo_description: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class PostTranslation(CreatedAt, Base):
    __tablename__ = "post_translations"
    __table_args__ = _translation_args("post_translations", "post_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    seo_title: Mapped[str | None] = mapped_column(String(120))
    seo_description: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class ProductTranslation(CreatedAt, Base):
    __tablename__ = "product_translations"
    __table_args__ = _translation_args("product_translations", "product_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
