"""What a public site shows: published pages and posts, active products, of one tenant only.

Pages and products are also limited by the tenant's plan (``page_limit``, ``product_limit``;
None is unlimited): after a downgrade the oldest ones within the limit stay on the site and
the newer ones are kept for the portal only (``plans.entitlements.kept``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Page, Post, Product
from plans.entitlements import kept
from tenants.site_content import HOME_SLUG


def _live_pages(tenant_id: int, page_limit: int | None):
    return select(Page).where(Page.tenant_id == tenant_id, Page.published,
                              kept("pages", tenant_id, page_limit))


def navigation_pages(session: Session, tenant_id: int, page_limit: int | None) -> list[Page]:
    return list(session.scalars(
        _live_pages(tenant_id, page_limit).where(Page.in_navigation)
        .order_by(Page.position, Page.id)
    ))


def live_pages(session: Session, tenant_id: int, page_limit: int | None) -> list[Page]:
    """Every page the site shows, in navigation order."""
    return list(session.scalars(_live_pages(tenant_id, page_limit).order_by(Page.position, Page.id)))


def published_page(session: Session, tenant_id: int, slug: str, page_limit: int | None) -> Page | None:
    return session.scalar(_live_pages(tenant_id, page_limit).where(Page.slug == slug))


def home_page(session: Session, tenant_id: int, page_limit: int | None) -> Page | None:
    """The published home page, or else the first published page."""
    return published_page(session, tenant_id, HOME_SLUG, page_limit) or session.scalar(
        _live_pages(tenant_id, page_limit).order_by(Page.position, Page.id).limit(1)
    )


def _active_products(tenant_id: int, product_limit: int | None):
    return select(Product).where(Product.tenant_id == tenant_id, Product.active,
                                 kept("products", tenant_id, product_limit))


def active_products(session: Session, tenant_id: int, product_limit: int | None,
                    limit: int | None = None) -> list[Product]:
    return list(session.scalars(
        _active_products(tenant_id, product_limit).order_by(Product.id).limit(limit)
    ))


def active_product(session: Session, tenant_id: int, slug: str,
                   product_limit: int | None) -> Product | None:
    return session.scalar(_active_products(tenant_id, product_limit).where(Product.slug == slug))


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
