"""What a public site shows: published pages and posts, active products, of one tenant only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Page, Post, Product
from tenants.site_content import HOME_SLUG


def navigation_pages(session: Session, tenant_id: int) -> list[Page]:
    return list(session.scalars(
        select(Page)
        .where(Page.tenant_id == tenant_id, Page.published, Page.in_navigation)
        .order_by(Page.position, Page.id)
    ))


def published_page(session: Session, tenant_id: int, slug: str) -> Page | None:
    return session.scalar(
        select(Page).where(Page.tenant_id == tenant_id, Page.published, Page.slug == slug)
    )


def home_page(session: Session, tenant_id: int) -> Page | None:
    """The published home page, or else the first published page."""
    return published_page(session, tenant_id, HOME_SLUG) or session.scalar(
        select(Page)
        .where(Page.tenant_id == tenant_id, Page.published)
        .order_by(Page.position, Page.id)
        .limit(1)
    )


def active_products(session: Session, tenant_id: int, limit: int | None = None) -> list[Product]:
    return list(session.scalars(
        select(Product)
        .where(Product.tenant_id == tenant_id, Product.active)
        .order_by(Product.id)
        .limit(limit)
    ))


def active_product(session: Session, tenant_id: int, slug: str) -> Product | None:
    return session.scalar(
        select(Product).where(Product.tenant_id == tenant_id, Product.active, Product.slug == slug)
    )


def _published_posts(tenant_id: int, now: datetime):
    return select(Post).where(
        Post.tenant_id == tenant_id, Post.published_at.is_not(None), Post.published_at <= now
    )


def published_posts(
    session: Session, tenant_id: int, now: datetime, limit: int | None = None
) -> list[Post]:
    return list(session.scalars(
        _published_posts(tenant_id, now).order_by(Post.published_at.desc(), Post.id.desc())
        .limit(limit)
    ))


def published_post(session: Session, tenant_id: int, slug: str, now: datetime) -> Post | None:
    return session.scalar(_published_posts(tenant_id, now).where(Post.slug == slug))
