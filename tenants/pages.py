"""The pages of a tenant's site: creating them under the plan's limit, their addresses, their
blocks, publishing.

Blocks are ``{"type", "data"}`` as ``tenants.site_content.BLOCK_FIELDS`` defines them, and
``"placeholder": true`` on starter text the owner should replace (saving the block drops it).
Every change here keeps a page's blocks valid, so the public site can show each of them. An
image block names one of the tenant's own images by ``data["media_id"]``; when that file is
deleted later, the block stays in the editor (asking for a new image) and the site leaves it out.

A page's search and sharing fields (``seo_title``, ``seo_description``, ``social_image_id``)
are checked here too; the public site's ``<head>`` shows them (``web/public_site/seo.py``).

The page limit counts every page, drafts included. A page beyond it (after a downgrade: the
newest ones, see ``plans.entitlements.kept``) is read-only: every change but unpublishing
and deleting raises ``OverLimit``.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func
from sqlalchemy.orm import Session

from db.messages import N_, Message
from db.models import MediaFile, Page, Tenant
from db.refusals import Refused
from plans.catalog import Catalog
from plans.entitlements import require_kept, reserve, within_plan
from tenants.scope import scoped
from tenants.site_content import (
    BLOCK_FIELDS,
    IMAGE_BLOCKS,
    IMAGE_SIDES,
    ITEM_FIELDS,
    LINK_FIELDS,
    MAX_ID,
    MAX_SLUG_LENGTH,
    block_problems,
    slug_problem,
)
from tenants.translations import text_fields

DEFAULT_PRODUCTS_SHOWN = 6
# Page.seo_title and Page.seo_description, and about how much of each search engines show.
MAX_SEO_TITLE, MAX_SEO_DESCRIPTION = 120, 300
SEO_TITLE_SHOWN, SEO_DESCRIPTION_SHOWN = 60, 155


def slugify(text: str, max_length: int) -> str:
    """'Über uns & Co.' -> 'uber-uns-co'; empty when the text has no letters or digits."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return slug[:max_length].rstrip("-")


def _checked_slug(session: Session, tenant_id: int, title: str, slug: str,
                  page: Page | None = None) -> str:
    """The page's address: ``slug``, or one made from the title; unique within the site."""
    slug = slug or slugify(title, MAX_SLUG_LENGTH)
    problem = slug_problem(slug)
    if problem:
        raise Refused(problem, "slug")
    query = scoped(Page, tenant_id).where(Page.slug == slug)
    if page is not None:
        query = query.where(Page.id != page.id)
    if session.scalar(query.limit(1)) is not None:
        raise Refused(Message(N_("Another page already has the address /%(slug)s."), slug=slug),
                      "slug")
    return slug


def create_page(session: Session, catalog: Catalog, tenant: Tenant, title: str, slug: str) -> Page:
    """A new draft page without blocks, last in the navigation. Raises ``LimitReached`` at the
    plan's page limit and ``Refused`` for an address that is not valid or taken. Flushes."""
    reserve(session, catalog, tenant, "pages")
    slug = _checked_slug(session, tenant.id, title, slug)
    last = session.scalar(scoped(Page, tenant.id).with_only_columns(func.max(Page.position)))
    page = Page(tenant_id=tenant.id, title=title, slug=slug, blocks=[], published=False,
                in_navigation=True, position=0 if last is None else last + 1)
    session.add(page)
    session.flush()
    return page


def require_editable(session: Session, catalog: Catalog, tenant: Tenant, page: Page) -> None:
    """Raises ``OverLimit`` when the page is beyond the plan's page limit (read-only)."""
    require_kept(session, catalog, tenant, "pages", page.id)


def image_query(tenant_id: int):
    """The tenant's own images (uploads of an image type), newest first."""
    return (scoped(MediaFile, tenant_id).where(MediaFile.content_type.startswith("image/"))
            .order_by(MediaFile.id.desc()))


def own_image(session: Session, tenant_id: int, media_id: int | None, field: str) -> int | None:
    """``media_id`` when it names one of the tenant's own images (None stays None); raises
    ``Refused`` for anything else, another tenant's file included."""
    if media_id is None:
        return None
    found = None
    if 0 < media_id <= MAX_ID:
        found = session.scalar(image_query(tenant_id).where(MediaFile.id == media_id).limit(1))
    if found is None:
        raise Refused(N_("That image is not in your media library. Choose one of your own "
                         "images."), field)
    return found.id


def usable_images(session: Session, catalog: Catalog, tenant: Tenant, ids: set[int]) -> set[int]:
    """Which of these media ids the site can show: the tenant's images within its plan's
    storage. The rest of the blocks naming them need a new image."""
    if not ids:
        return set()
    return set(session.scalars(image_query(tenant.id).with_only_columns(MediaFile.id).where(
        MediaFile.id.in_(ids), within_plan(catalog, tenant, "media_mb"))))


def checked_seo(session: Session, tenant_id: int, seo_title: str, seo_description: str,
                social_image_id: int | None) -> tuple[str | None, str | None, int | None]:
    """The search and sharing fields as stored (blank text is None); raises ``Refused`` for
    text too long or an image that is not the tenant's."""
    seo_title, seo_description = (seo_title or "").strip(), (seo_description or "").strip()
    if len(seo_title) > MAX_SEO_TITLE:
        raise Refused(Message(N_("Use at most %(max)s characters for the search title (search "
                                 "engines show about %(shown)s)."),
                              max=MAX_SEO_TITLE, shown=SEO_TITLE_SHOWN), "seo_title")
    if len(seo_description) > MAX_SEO_DESCRIPTION:
        raise Refused(Message(N_("Use at most %(max)s characters for the search description "
                                 "(search engines show about %(shown)s)."),
                              max=MAX_SEO_DESCRIPTION, shown=SEO_DESCRIPTION_SHOWN),
                      "seo_description")
    social_image_id = own_image(session, tenant_id, social_image_id, "social_image_id")
    return seo_title or None, seo_description or None, social_image_id


def update_page(session: Session, catalog: Catalog, tenant: Tenant, page: Page, title: str,
                slug: str, in_navigation: bool, seo_title: str = "", seo_description: str = "",
                social_image_id: int | None = None) -> None:
    """Raises ``Refused`` for an address that is not valid or taken, and for search fields
    that are too long or an image that is not the tenant's. Flushes."""
    require_editable(session, catalog, tenant, page)
    page.slug = _checked_slug(session, page.tenant_id, title, slug, page)
    page.seo_title, page.seo_description, page.social_image_id = checked_seo(
        session, page.tenant_id, seo_title, seo_description, social_image_id)
    page.title = title
    page.in_navigation = in_navigation
    session.flush()


def set_published(session: Session, catalog: Catalog, tenant: Tenant, page: Page,
                  published: bool) -> None:
    """Publishing a page beyond the plan's limit raises ``OverLimit``; unpublishing always works."""
    if published:
        require_editable(session, catalog, tenant, page)
    page.published = published
    session.flush()


def delete_page(session: Session, page: Page) -> None:
    session.delete(page)
    session.flush()


def new_block(block_type: str) -> dict:
    """A block of this type with empty text, one empty item, a few products, no image."""
    if block_type not in BLOCK_FIELDS:
        raise Refused(Message(N_("Choose one of: %(types)s."), types=", ".join(BLOCK_FIELDS)),
                      "type")
    data = {}
    for field in BLOCK_FIELDS[block_type]:
        if field == "items":
            data[field] = [dict.fromkeys(ITEM_FIELDS[block_type], "")]
        elif field == "limit":
            data[field] = DEFAULT_PRODUCTS_SHOWN
        elif field == "media_id":
            data[field] = None
        elif field == "image_side":
            data[field] = IMAGE_SIDES[0]
        else:
            data[field] = ""
    return {"type": block_type, "data": data}


def is_placeholder(block: dict) -> bool:
    """Whether the block still holds starter text the owner should replace."""
    return block.get("placeholder") is True


def has_placeholder(page: Page) -> bool:
    return any(is_placeholder(block) for block in page.blocks)


def image_ids(blocks: list[dict]) -> set[int]:
    """The media ids the image blocks among ``blocks`` show (well-formed ones only)."""
    return {block["data"]["media_id"] for block in blocks
            if block.get("type") in IMAGE_BLOCKS and isinstance(block.get("data"), dict)
            and type(block["data"].get("media_id")) is int
            and 0 < block["data"]["media_id"] <= MAX_ID}


# Blocks that show something of their own (the shop's products, a form) even without text.
SHOWN_WITHOUT_TEXT = frozenset({"products", "contact_form"})


def is_empty_block(block: dict) -> bool:
    """Whether the block holds no content yet (every text field and item blank): such a block,
    just added or emptied, is not shown on the public site."""
    if block.get("type") in SHOWN_WITHOUT_TEXT:
        return False
    if block.get("type") in IMAGE_BLOCKS:  # its text goes with the image
        return (block.get("data") or {}).get("media_id") is None
    for value in (block.get("data") or {}).values():
        if isinstance(value, str) and value.strip():
            return False
        if isinstance(value, list) and any(
                isinstance(item, dict) and any(isinstance(text, str) and text.strip()
                                               for text in item.values())
                for item in value):
            return False
    return True


def add_block(session: Session, catalog: Catalog, tenant: Tenant, page: Page, block_type: str) -> int:
    """Append a new, empty block; returns its index. Flushes. It is not shown on the public
    site until it has content (``is_empty_block``); the editor's Cancel deletes it."""
    require_editable(session, catalog, tenant, page)
    page.blocks = [*page.blocks, new_block(block_type)]
    session.flush()
    return len(page.blocks) - 1


def update_block(session: Session, catalog: Catalog, tenant: Tenant, page: Page, index: int,
                 data: dict) -> None:
    """Replace the data of block ``index`` (which exists), which also drops its placeholder
    mark; raises ``Refused`` when the block could not be shown with it, or when an image
    block's image is missing or not one of the tenant's own images. Flushes."""
    require_editable(session, catalog, tenant, page)
    block = {"type": page.blocks[index]["type"], "data": data}
    media_id = data.get("media_id")
    if block["type"] in IMAGE_BLOCKS:
        if media_id is None:
            raise Refused(N_("Choose an image from your media library."), "media_id")
        if isinstance(media_id, int) and not isinstance(media_id, bool):
            own_image(session, tenant.id, media_id, "media_id")
    problems = block_problems(block)
    if problems:
        raise Refused(problems[0])  # a whole sentence; the next one shows once it is fixed
    page.blocks = [*page.blocks[:index], block, *page.blocks[index + 1:]]
    session.flush()


def move_block(session: Session, catalog: Catalog, tenant: Tenant, page: Page, index: int,
               offset: int) -> None:
    """Move block ``index`` (which exists) ``offset`` places; stops at the first and last place."""
    require_editable(session, catalog, tenant, page)
    blocks = list(page.blocks)
    target = min(max(index + offset, 0), len(blocks) - 1)
    blocks.insert(target, blocks.pop(index))
    page.blocks = blocks
    session.flush()


def delete_block(session: Session, catalog: Catalog, tenant: Tenant, page: Page, index: int) -> None:
    require_editable(session, catalog, tenant, page)
    page.blocks = [block for number, block in enumerate(page.blocks) if number != index]
    session.flush()


def plain_text(page: Page, limit: int) -> str:
    """The page's words, its title and then each block's texts and its items', one per line:
    what the writing assistant reads to describe the page. At most ``limit`` characters."""
    lines = [page.title]
    for block in page.blocks:
        data, kind = block.get("data") or {}, block.get("type", "")
        lines += [data.get(name) for name in text_fields(kind)]
        lines += [item.get(name) for item in data.get("items") or [] if isinstance(item, dict)
                  for name in ITEM_FIELDS.get(kind, ()) if name not in LINK_FIELDS]
    return "\n".join(line for line in lines if isinstance(line, str) and line.strip())[:limit]
