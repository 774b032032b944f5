"""Tenant-owned site content. Every row carries ``tenant_id``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt

BLOCK_TYPES = ("hero", "text", "features", "testimonials", "cta", "faq", "contact_form",
               "products", "image", "image_with_text")


class Page(CreatedAt, Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("tenant_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    in_navigation: Mapped[bool] = mapped_column(default=True)
    published: Mapped[bool] = mapped_column(default=False)
    # [{"type": "<one of BLOCK_TYPES>", "data": {...}}, ...] in display order
    blocks: Mapped[list] = mapped_column(JSONB, default=list)
    seo_title: Mapped[str | None] = mapped_column(String(120))
    seo_description: Mapped[str | None] = mapped_column(String(300))
    social_image_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_files.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Post(CreatedAt, Base):
    __tablename__ = "posts"
    __table_args__ = (UniqueConstraint("tenant_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None]
    seo_title: Mapped[str | None] = mapped_column(String(120))
    seo_description: Mapped[str | None] = mapped_column(String(300))
    social_image_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_files.id", ondelete="SET NULL"))
    cover_image_id: Mapped[int | None] = mapped_column(
        ForeignKey("media_files.id", ondelete="SET NULL"))


class Product(CreatedAt, Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("tenant_id", "slug"),
                      CheckConstraint("vat_rate IN (0, 9, 21)", name="vat_rate"))

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8), default="eur")
    stock: Mapped[int | None] = mapped_column(default=None)  # None: not tracked
    active: Mapped[bool] = mapped_column(default=True)
    images: Mapped[list] = mapped_column(JSONB, default=list)
    vat_rate: Mapped[int] = mapped_column(default=21, server_default="21")  # percent in the price


class MediaFile(CreatedAt, Base):
    __tablename__ = "media_files"
    __table_args__ = (Index("ix_media_files_tenant_id", "tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))  # as uploaded, for display only
    storage_name: Mapped[str] = mapped_column(String(80), unique=True)  # ours, random
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)  # the upload's; variants are ours
    width: Mapped[int | None]  # pixels, for images
    height: Mapped[int | None]
    # Smaller copies made at upload: [{"width", "height", "storage_name"}, ...], narrowest first
    variants: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
