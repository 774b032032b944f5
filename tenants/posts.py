"""Blog posts. A post's address is made from its title unless one is given; its publish moment
decides what the public site shows: none is a draft, one in the future is scheduled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from db.models import Post
from db.refusals import Refused
from tenants.pages import sentence, slugify
from tenants.scope import scoped
from tenants.site_content import SLUG_PATTERN

MAX_SLUG_LENGTH = 120  # Post.slug


def state(post: Post, now: datetime) -> str:
    """'draft', 'scheduled' or 'published'."""
    if post.published_at is None:
        return "draft"
    return "scheduled" if post.published_at > now else "published"


def _taken(session: Session, tenant_id: int, slug: str, post: Post | None) -> bool:
    query = scoped(Post, tenant_id).where(Post.slug == slug)
    if post is not None:
        query = query.where(Post.id != post.id)
    return session.scalar(query.limit(1)) is not None


def _checked_slug(session: Session, tenant_id: int, title: str, slug: str, post: Post | None) -> str:
    """A given address must be valid and free; one made from the title gets -2, -3… if taken."""
    if slug:
        if not SLUG_PATTERN.match(slug):
            raise Refused(sentence("use lowercase letters, digits and single hyphens"), "slug")
        if len(slug) > MAX_SLUG_LENGTH:
            raise Refused(sentence(f"use at most {MAX_SLUG_LENGTH} characters"), "slug")
        if _taken(session, tenant_id, slug, post):
            raise Refused(f"Another post already has the address /blog/{slug}.", "slug")
        return slug
    base = slugify(title, MAX_SLUG_LENGTH)
    if not base:
        raise Refused("The title has no letters or digits to make an address from; "
                      "enter one.", "slug")
    candidate, number = base, 2
    while _taken(session, tenant_id, candidate, post):
        suffix = f"-{number}"
        candidate = base[:MAX_SLUG_LENGTH - len(suffix)].rstrip("-") + suffix
        number += 1
    return candidate


def create_post(session: Session, tenant_id: int, title: str, slug: str, body: str,
                published_at: datetime | None) -> Post:
    """Raises ``Refused`` for an address that is not valid or taken. Flushes."""
    post = Post(tenant_id=tenant_id, title=title, body=body, published_at=published_at,
                slug=_checked_slug(session, tenant_id, title, slug, None))
    session.add(post)
    session.flush()
    return post


def update_post(session: Session, post: Post, title: str, slug: str, body: str,
                published_at: datetime | None) -> None:
    """Raises ``Refused`` for an address that is not valid or taken. Flushes."""
    post.slug = _checked_slug(session, post.tenant_id, title, slug, post)
    post.title, post.body, post.published_at = title, body, published_at
    session.flush()


def delete_post(session: Session, post: Post) -> None:
    session.delete(post)
    session.flush()
