"""The pages of a tenant's site: creating them under the plan's limit, their addresses, their
blocks, publishing.

Blocks are ``{"type", "data"}`` as ``tenants.site_content.BLOCK_FIELDS`` defines them. Every
change here keeps a page's blocks valid, so the public site can show each of them.

The page limit counts every page, drafts included. A page beyond it (after a downgrade: the
newest ones, see ``plans.entitlements.kept``) is read-only: every change but unpublishing
and deleting raises ``OverLimit``.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func
from sqlalchemy.orm import Session

from db.models import Page, Tenant
from db.refusals import Refused
from plans.catalog import Catalog
from plans.entitlements import require_kept, reserve
from tenants.scope import scoped
from tenants.site_content import BLOCK_FIELDS, ITEM_FIELDS, MAX_SLUG_LENGTH, block_problems, slug_problem

DEFAULT_PRODUCTS_SHOWN = 6


def slugify(text: str, max_length: int) -> str:
    """'Über uns & Co.' -> 'uber-uns-co'; empty when the text has no letters or digits."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return slug[:max_length].rstrip("-")


def sentence(phrase: str) -> str:
    """'use at most 80 characters' -> 'Use at most 80 characters.'"""
    return phrase[:1].upper() + phrase[1:] + "."


def _checked_slug(session: Session, tenant_id: int, title: str, slug: str,
                  page: Page | None = None) -> str:
    """The page's address: ``slug``, or one made from the title; unique within the site."""
    slug = slug or slugify(title, MAX_SLUG_LENGTH)
    problem = slug_problem(slug)
    if problem:
        raise Refused(sentence(problem), "slug")
    query = scoped(Page, tenant_id).where(Page.slug == slug)
    if page is not None:
        query = query.where(Page.id != page.id)
    if session.scalar(query.limit(1)) is not None:
        raise Refused(f"Another page already has the address /{slug}.", "slug")
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


def update_page(session: Session, catalog: Catalog, tenant: Tenant, page: Page, title: str,
                slug: str, in_navigation: bool) -> None:
    """Raises ``Refused`` for an address that is not valid or taken. Flushes."""
    require_editable(session, catalog, tenant, page)
    page.slug = _checked_slug(session, page.tenant_id, title, slug, page)
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
    """A block of this type with empty text, one empty item and a few products."""
    if block_type not in BLOCK_FIELDS:
        raise Refused(f"Choose one of: {', '.join(BLOCK_FIELDS)}.", "type")
    data = {}
    for field in BLOCK_FIELDS[block_type]:
        if field == "items":
            data[field] = [dict.fromkeys(ITEM_FIELDS[block_type], "")]
        elif field == "limit":
            data[field] = DEFAULT_PRODUCTS_SHOWN
        else:
            data[field] = ""
    return {"type": block_type, "data": data}


# Blocks that show something of their own (the shop's products, a form) even without text.
SHOWN_WITHOUT_TEXT = frozenset({"products", "contact_form"})


def is_empty_block(block: dict) -> bool:
    """Whether the block holds no content yet (every text field and item blank): such a block,
    just added or emptied, is not shown on the public site."""
    if block.get("type") in SHOWN_WITHOUT_TEXT:
        return False
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
    """Replace the data of block ``index`` (which exists); raises ``Refused`` when the
    block could not be shown with it. Flushes."""
    require_editable(session, catalog, tenant, page)
    block = {"type": page.blocks[index]["type"], "data": data}
    problems = block_problems(block)
    if problems:
        raise Refused(sentence("; ".join(problems)))
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
