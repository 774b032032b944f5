"""Content in a site's languages: each page, post and product in the language asked for, with
the default language's text wherever a translation (or one field of it) is missing.

The content rows hold the site's default language (``Tenant.language``); translation rows
(db/models/translations.py) hold the others. ``localised`` wraps a row so that code and
templates read it as before (``page.title``, ``product.name``), in the language asked for, and
can tell what fell back (``page.fallback``, ``page.missing``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Page, PageTranslation, Post, PostTranslation, Product, ProductTranslation

# For each kind of content: its translation model, the column naming the translated row, and
# the texts a translation holds.
KINDS: dict[type, tuple[type, str, tuple[str, ...]]] = {
    Page: (PageTranslation, "page_id", ("title", "blocks", "seo_title", "seo_description")),
    Post: (PostTranslation, "post_id", ("title", "body", "seo_title", "seo_description")),
    Product: (ProductTranslation, "product_id", ("name", "description")),
}
# A translation's texts that must be there for it to count as translated; the others (the SEO
# fields) fall back one by one.
REQUIRED = {"title", "name", "blocks", "body", "description"}


class Localised:
    """A content row read in ``language``: its translated texts, else the row's own."""

    __slots__ = ("_item", "_texts", "language", "missing")

    def __init__(self, item: Any, language: str, texts: dict[str, Any], missing: tuple[str, ...]):
        self._item, self._texts = item, texts
        self.language = language  # the language asked for
        self.missing = missing  # the texts shown in the default language instead

    @property
    def fallback(self) -> bool:
        """Whether anything required is shown in the default language ("not yet translated")."""
        return any(field in REQUIRED for field in self.missing)

    @property
    def row(self) -> Any:
        return self._item

    def __getattr__(self, name: str) -> Any:
        texts = object.__getattribute__(self, "_texts")
        if name in texts:
            return texts[name]
        return getattr(object.__getattribute__(self, "_item"), name)


def translations_of(session: Session, model: type, ids: Iterable[int],
                    language: str) -> dict[int, Any]:
    """The ``language`` translations of the ``model`` rows ``ids``, by row id."""
    translation, column, _texts = KINDS[model]
    ids = list(ids)
    if not ids:
        return {}
    rows = session.scalars(select(translation).where(
        getattr(translation, column).in_(ids), translation.language == language))
    return {getattr(row, column): row for row in rows}


def localised(session: Session, items: list, language: str, default: str) -> list[Localised]:
    """``items`` (rows of one kind, one tenant) read in ``language``; ``default`` is the
    tenant's default language, whose texts are the rows' own."""
    if not items:
        return []
    model = type(items[0])
    _translation, _column, fields = KINDS[model]
    if language == default:
        return [Localised(item, language, {}, ()) for item in items]
    found = translations_of(session, model, (item.id for item in items), language)
    result = []
    for item in items:
        row = found.get(item.id)
        texts = {field: getattr(row, field) for field in fields
                 if row is not None and _present(getattr(row, field))}
        missing = tuple(field for field in fields if field not in texts)
        result.append(Localised(item, language, texts, missing))
    return result


def localised_one(session: Session, item: Any, language: str, default: str) -> Localised:
    return localised(session, [item], language, default)[0]


def _present(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value)
