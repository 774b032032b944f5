"""The revision history of pages, posts and products: each save is a revision with who, when,
what changed and a copy of the content as saved; the latest ``KEEP`` of an item are kept.

A proposal of the writing assistant is never saved by the assistant itself: the person puts it
into a field and saves, and the form carries the request's id. ``record`` then marks the
request as saved in that revision, so the history shows what the assistant wrote. Only the
tenant's own requests that were answered in full, and not saved before, can be marked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from db.models import AssistantRequest, Page, Post, Product, Revision, User
from db.models.assistant import RequestStatus
from db.models.revisions import Change

KEEP = 50  # revisions kept of each item
SHOWN = 20  # revisions shown in an editor

# The content copied into a revision, per kind of item (and of its translations).
CONTENT = {"page": ("title", "slug", "in_navigation", "blocks", "seo_title", "seo_description"),
           "post": ("title", "slug", "body", "seo_title", "seo_description"),
           "product": ("name", "slug", "description", "price_cents", "stock", "active", "vat_rate")}
TRANSLATED = {"page": ("title", "blocks", "seo_title", "seo_description"),
              "post": ("title", "body", "seo_title", "seo_description"),
              "product": ("name", "description")}
KINDS = {Page: "page", Post: "post", Product: "product"}


def request_ids(values: Iterable[str]) -> list[int]:
    """The writing assistant's request ids a form carried (anything else is ignored)."""
    return [int(value) for value in values if value.isdigit() and len(value) < 10]


def record(session: Session, user_id: int | None, item: Page | Post | Product, change: Change,
           *, detail: str | None = None, translation=None, assisted: Iterable[int] = ()) -> Revision:
    """A revision of ``item`` as it is now (of ``translation``, its row in another language,
    for ``Change.TRANSLATION``); the ``assisted`` requests of the item's tenant are marked as
    saved in it. Older revisions beyond ``KEEP`` are deleted. Flushes."""
    kind = KINDS[type(item)]
    source, names = (translation, TRANSLATED[kind]) if translation is not None else (item, CONTENT[kind])
    revision = Revision(tenant_id=item.tenant_id, user_id=user_id, change=change, detail=detail,
                        language=getattr(translation, "language", None),
                        content={name: getattr(source, name) for name in names},
                        **{f"{kind}_id": item.id})
    session.add(revision)
    session.flush()
    ids = list(assisted)
    if ids:
        session.execute(update(AssistantRequest).where(
            AssistantRequest.tenant_id == item.tenant_id, AssistantRequest.id.in_(ids),
            AssistantRequest.status == RequestStatus.DONE,
            AssistantRequest.revision_id.is_(None)).values(revision_id=revision.id))
    column = getattr(Revision, f"{kind}_id")
    kept = select(Revision.id).where(column == item.id).order_by(Revision.id.desc()).limit(KEEP)
    session.execute(delete(Revision).where(column == item.id, Revision.id.not_in(kept)))
    return revision


@dataclass(frozen=True)
class Entry:
    """One line of an item's history."""

    saved_at: datetime
    author: str | None  # the member's address; None once they left the team
    change: Change
    detail: str | None
    language: str | None
    assisted: bool  # it holds text the writing assistant wrote


def history(session: Session, item: Page | Post | Product, limit: int = SHOWN) -> list[Entry]:
    """The item's latest revisions, newest first."""
    column = getattr(Revision, f"{KINDS[type(item)]}_id")
    assisted = select(AssistantRequest.id).where(AssistantRequest.revision_id == Revision.id).exists()
    rows = session.execute(
        select(Revision.saved_at, User.email, Revision.change, Revision.detail, Revision.language,
               assisted)
        .outerjoin(User, User.id == Revision.user_id)
        .where(column == item.id, Revision.tenant_id == item.tenant_id)
        .order_by(Revision.id.desc()).limit(limit))
    return [Entry(saved_at, author, Change(change), detail, language, assisted)
            for saved_at, author, change, detail, language, assisted in rows]
