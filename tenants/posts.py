"""Blog posts. A post's address is made from its title unless one is given; its publish moment
(stored in UTC) decides what the public site shows: none is a draft, one in the future is
scheduled. Scheduling is in the site's time zone (``tenants.time_zones``). The cover and the
social image are images of the tenant's own media library."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from db.messages import N_, Message
from db.models import MediaFile, Post
from db.refusals import Refused
from tenants import time_zones
from tenants.pages import slugify
from tenants.scope import get_scoped, scoped
from tenants.site_content import SLUG_PATTERN

MAX_SLUG_LENGTH = 120  # Post.slug
MAX_SEO_TITLE, MAX_SEO_DESCRIPTION = 120, 300  # Post.seo_title, Post.seo_description


class Publish(StrEnum):
    """What the post form asks for: publish now, at a moment in the site's time zone, or not."""

    NOW = "now"
    SCHEDULE = "schedule"
    DRAFT = "draft"


@dataclass(frozen=True)
class PostFields:
    """What a post's form holds besides its publish moment."""

    title: str
    slug: str = ""
    body: str = ""
    cover_image_id: int | None = None
    seo_title: str = ""
    seo_description: str = ""
    social_image_id: int | None = None


def publish_moment(publish: str, local: datetime | None, time_zone: str,
                   current: datetime | None, now: datetime) -> datetime | None:
    """The UTC moment to store. Publishing a post that is already out keeps its moment; a
    scheduled time is a wall-clock time in ``time_zone`` (see ``time_zones.to_utc``)."""
    match publish:
        case Publish.DRAFT:
            return None
        case Publish.NOW:
            return current if current is not None and current <= now else now.replace(microsecond=0)
        case Publish.SCHEDULE:
            if local is None:
                raise Refused(N_("Enter the date and time to publish the post on."), "publish_at")
            return time_zones.to_utc(local, time_zone)
    raise Refused(N_("Choose when to publish the post."), "publish")


def image_of(session: Session, tenant_id: int, media_id: int | None, field: str) -> int | None:
    """The id when it is an image in the tenant's own library; raises ``Refused`` otherwise."""
    if media_id is None:
        return None
    row = get_scoped(session, MediaFile, tenant_id, media_id)
    if row is None or not row.content_type.startswith("image/"):
        raise Refused(N_("Choose an image from your media library."), field)
    return row.id


def _apply(session: Session, post: Post, fields: PostFields, published_at: datetime | None) -> None:
    if len(fields.seo_title) > MAX_SEO_TITLE:
        raise Refused(Message(N_("Use at most %(max)s characters."), max=MAX_SEO_TITLE), "seo_title")
    if len(fields.seo_description) > MAX_SEO_DESCRIPTION:
        raise Refused(Message(N_("Use at most %(max)s characters."), max=MAX_SEO_DESCRIPTION),
                      "seo_description")
    cover = image_of(session, post.tenant_id, fields.cover_image_id, "cover_image_id")
    social = image_of(session, post.tenant_id, fields.social_image_id, "social_image_id")
    post.slug = _checked_slug(session, post.tenant_id, fields.title, fields.slug,
                              post if post.id is not None else None)
    post.title, post.body, post.published_at = fields.title, fields.body, published_at
    post.cover_image_id, post.social_image_id = cover, social
    post.seo_title, post.seo_description = fields.seo_title or None, fields.seo_description or None


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
            raise Refused(N_("Use lowercase letters, digits and single hyphens."), "slug")
        if len(slug) > MAX_SLUG_LENGTH:
            raise Refused(Message(N_("Use at most %(max)s characters."), max=MAX_SLUG_LENGTH),
                          "slug")
        if _taken(session, tenant_id, slug, post):
            raise Refused(Message(N_("Another post already has the address /blog/%(slug)s."),
                                  slug=slug), "slug")
        return slug
    base = slugify(title, MAX_SLUG_LENGTH)
    if not base:
        raise Refused(N_("The title has no letters or digits to make an address from; "
                         "enter one."), "slug")
    candidate, number = base, 2
    while _taken(session, tenant_id, candidate, post):
        suffix = f"-{number}"
        candidate = base[:MAX_SLUG_LENGTH - len(suffix)].rstrip("-") + suffix
        number += 1
    return candidate


def create_post(session: Session, tenant_id: int, fields: PostFields,
                published_at: datetime | None) -> Post:
    """Raises ``Refused`` for an address that is not valid or taken, an image not in the
    tenant's library, or SEO texts too long; nothing is stored then. Flushes."""
    post = Post(tenant_id=tenant_id)
    _apply(session, post, fields, published_at)
    session.add(post)
    session.flush()
    return post


def update_post(session: Session, post: Post, fields: PostFields,
                published_at: datetime | None) -> None:
    """Raises ``Refused`` like ``create_post``; the post is left as it was then. Flushes."""
    _apply(session, post, fields, published_at)
    session.flush()


def delete_post(session: Session, post: Post) -> None:
    session.delete(post)
    session.flush()
