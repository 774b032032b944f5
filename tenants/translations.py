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

from db.languages import SITE_LANGUAGES
from db.messages import N_, Message
from db.models import (
    Page,
    PageTranslation,
    Post,
    PostTranslation,
    Product,
    ProductTranslation,
    Tenant,
)
from db.refusals import Refused
from plans.catalog import Catalog
from plans.entitlements import require_feature, require_kept
from tenants.site_content import BLOCK_FIELDS, ITEM_FIELDS, LINK_FIELDS, validate_blocks

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
                 if row is not None and field != "blocks" and _present(getattr(row, field))}
        if row is not None and "blocks" in fields:
            # The page's blocks with the translated texts put in: images, links and any block
            # added since come from the page (that block's texts then fall back).
            blocks, complete = merged_blocks(item.blocks, row.blocks)
            if complete:
                texts["blocks"] = blocks
            elif blocks:
                texts["_blocks"] = blocks  # partly translated: shown, but marked missing
        missing = tuple(field for field in fields if field not in texts)
        if "_blocks" in texts:
            texts["blocks"] = texts.pop("_blocks")
        result.append(Localised(item, language, texts, missing))
    return result


def localised_one(session: Session, item: Any, language: str, default: str) -> Localised:
    return localised(session, [item], language, default)[0]


def _present(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value)


# --- Writing translations (the portal's side-by-side editor) -------------------------------

FEATURE = "multi_language"
# A block's fields that are not text to translate: structure, images, links, numbers. They are
# always the page's own (``merged_blocks``).
NOT_TEXT = frozenset({"items", "limit", "media_id", "image_side", "decorative", *LINK_FIELDS})
MAX_TITLE = 200
MAX_SEO_TITLE, MAX_SEO_DESCRIPTION = 120, 300
MAX_TEXT = 100_000


def text_fields(block_type: str) -> tuple[str, ...]:
    """The texts of a block of ``block_type`` (its items' texts are ``ITEM_FIELDS``)."""
    return tuple(name for name in BLOCK_FIELDS.get(block_type, ()) if name not in NOT_TEXT)


def merged_blocks(blocks: list, translated: list | None) -> tuple[list, bool]:
    """The page's ``blocks`` with the texts of ``translated`` (a translation's blocks) put in,
    block by block and item by item where the type (and the item) is still there; images,
    links and every other non-text field are the page's. Also whether every block found its
    translation (False when the page changed since, or there is none)."""
    translated = translated if isinstance(translated, list) else []
    result, complete = [], True
    for index, block in enumerate(blocks):
        other = translated[index] if index < len(translated) else None
        if not isinstance(other, dict) or other.get("type") != block.get("type") \
                or not isinstance(other.get("data"), dict):
            result.append(block)
            complete = False
            continue
        data = dict(block["data"])
        for name in text_fields(block["type"]):
            if _present(other["data"].get(name)):
                data[name] = other["data"][name]
        if isinstance(data.get("items"), list):
            theirs = other["data"].get("items") if isinstance(other["data"].get("items"), list) else []
            items = []
            for number, item in enumerate(data["items"]):
                mine = dict(item) if isinstance(item, dict) else item
                their = theirs[number] if number < len(theirs) else None
                if isinstance(mine, dict) and isinstance(their, dict):
                    for name in ITEM_FIELDS.get(block["type"], ()):
                        if _present(their.get(name)):
                            mine[name] = their[name]
                else:
                    complete = False
                items.append(mine)
            data["items"] = items
        result.append({"type": block["type"], "data": data})
    return result, complete


def _check_language(tenant: Tenant, language: str) -> None:
    """Content is translated into the site's languages besides its default; anything else is
    not a translation there is (404)."""
    if language not in SITE_LANGUAGES or language not in tenant.languages \
            or language == tenant.language:
        raise Refused(N_("Your site has no such language to translate into. Add it under "
                         "Languages first."), status=404)


def require_editable(catalog: Catalog, tenant: Tenant, language: str) -> None:
    """Raises ``Refused`` (404) for a language the site does not translate into and
    ``FeatureNotInPlan`` without ``multi_language`` (a downgrade: translations stay stored,
    read-only)."""
    _check_language(tenant, language)
    require_feature(catalog, tenant, FEATURE)


def _text(value: str | None, limit: int, field: str, required: Message | str | None = None) -> str:
    value = (value or "").strip()
    if required is not None and not value:
        raise Refused(required, field)
    if len(value) > limit:
        raise Refused(Message(N_("Use at most %(count)s characters."), count=limit), field)
    return value


def _translation_row(session: Session, tenant: Tenant, item: Any, language: str) -> Any:
    model, column, _fields = KINDS[type(item)]
    row = translations_of(session, type(item), [item.id], language).get(item.id)
    if row is None:
        row = model(tenant_id=tenant.id, language=language, **{column: item.id})
        session.add(row)
    return row


def _own(item: Any, tenant: Tenant) -> None:
    if item is None or item.tenant_id != tenant.id:
        raise Refused(N_("There is no such item on your site."), status=404)


def save_page_translation(session: Session, catalog: Catalog, tenant: Tenant, page: Page,
                          language: str, title: str, block_texts: list[dict],
                          seo_title: str = "", seo_description: str = "") -> PageTranslation:
    """Store the ``language`` texts of ``page`` (one of the tenant's own, found with
    ``get_scoped``): its title, search fields and, for each of the page's blocks in order, a
    dict of the block's texts (``text_fields``; ``items`` a list of dicts of ``ITEM_FIELDS``).
    The translated blocks take the page's structure, images and links; an empty text shows the
    page's own. Raises ``Refused`` for texts that are missing or too long, blocks that no
    longer match the page, a language the site does not translate into (404),
    ``FeatureNotInPlan`` without ``multi_language`` and ``OverLimit`` for a page beyond the
    plan's limit. Flushes."""
    _own(page, tenant)
    require_editable(catalog, tenant, language)
    require_kept(session, catalog, tenant, "pages", page.id)
    title = _text(title, MAX_TITLE, "title", N_("Give the page a title in this language."))
    if not isinstance(block_texts, list) or len(block_texts) != len(page.blocks):
        raise Refused(N_("The page's blocks changed while you were translating. Open the "
                         "translation again and fill it in once more."), status=409)
    blocks = []
    for block, texts in zip(page.blocks, block_texts, strict=True):
        data = dict(block["data"])
        texts = texts if isinstance(texts, dict) else {}
        for name in text_fields(block["type"]):
            data[name] = _text(texts.get(name), MAX_TEXT, name)
        if isinstance(data.get("items"), list):
            given = texts.get("items") if isinstance(texts.get("items"), list) else []
            data["items"] = [
                {**item, **{name: _text((given[number] if number < len(given) and
                                         isinstance(given[number], dict) else {}).get(name),
                                        MAX_TEXT, name)
                            for name in ITEM_FIELDS.get(block["type"], ())}}
                for number, item in enumerate(data["items"])]
        blocks.append({"type": block["type"], "data": data})
    shown, _complete = merged_blocks(page.blocks, blocks)  # empty texts: the page's own
    problems = validate_blocks(shown)
    if problems:
        raise Refused(" ".join(problems))
    row = _translation_row(session, tenant, page, language)
    row.title, row.blocks = title, blocks
    row.seo_title = _text(seo_title, MAX_SEO_TITLE, "seo_title") or None
    row.seo_description = _text(seo_description, MAX_SEO_DESCRIPTION, "seo_description") or None
    session.flush()
    return row


def save_post_translation(session: Session, catalog: Catalog, tenant: Tenant, post: Post,
                          language: str, title: str, body: str, seo_title: str = "",
                          seo_description: str = "") -> PostTranslation:
    """Store the ``language`` texts of ``post``; raises as ``save_page_translation``. Flushes."""
    _own(post, tenant)
    require_editable(catalog, tenant, language)
    row_title = _text(title, MAX_TITLE, "title", N_("Give the post a title in this language."))
    row_body = _text(body, MAX_TEXT, "body")
    row_seo = (_text(seo_title, MAX_SEO_TITLE, "seo_title") or None,
               _text(seo_description, MAX_SEO_DESCRIPTION, "seo_description") or None)
    row = _translation_row(session, tenant, post, language)
    row.title, row.body = row_title, row_body
    row.seo_title, row.seo_description = row_seo
    session.flush()
    return row


def save_product_translation(session: Session, catalog: Catalog, tenant: Tenant,
                             product: Product, language: str, name: str,
                             description: str) -> ProductTranslation:
    """Store the ``language`` texts of ``product``; raises as ``save_page_translation``
    (``OverLimit`` for a product beyond the plan's limit). Flushes."""
    _own(product, tenant)
    require_editable(catalog, tenant, language)
    require_kept(session, catalog, tenant, "products", product.id)
    row_name = _text(name, MAX_TITLE, "name", N_("Give the product a name in this language."))
    row_description = _text(description, MAX_TEXT, "description")
    row = _translation_row(session, tenant, product, language)
    row.name, row.description = row_name, row_description
    session.flush()
    return row


def delete_translation(session: Session, catalog: Catalog, tenant: Tenant, item: Any,
                       language: str) -> bool:
    """Delete the ``language`` translation of ``item`` (the site then shows the default
    language's texts there); whether there was one. Raises as the save functions do."""
    _own(item, tenant)
    require_editable(catalog, tenant, language)
    row = translations_of(session, type(item), [item.id], language).get(item.id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def states(session: Session, items: list, languages: list[str],
           default: str) -> dict[int, dict[str, str]]:
    """For each item (rows of one kind) and each of ``languages``: ``"done"``, ``"partial"``
    (a text the item has, like a search field or a page's block, still only in the default
    language) or ``"missing"`` (not yet translated)."""
    result: dict[int, dict[str, str]] = {item.id: {} for item in items}
    for language in languages:
        found = translations_of(session, type(items[0]), (i.id for i in items), language) \
            if items else {}
        for shown in localised(session, items, language, default):
            if shown.row.id not in found:
                state = "missing"
            else:
                # Partly: a text the default language has is not translated yet.
                state = "partial" if any(_present(getattr(shown.row, field))
                                         for field in shown.missing) else "done"
            result[shown.row.id][language] = state
    return result


def swap_default(session: Session, item: Any, old: str, new: str) -> bool:
    """The site's default language becomes ``new`` (from ``old``): ``item``'s own texts become
    its ``old`` translation, and its ``new`` translation's texts (each missing one: the item's
    own; a missing search field: none) become its own. Whether there was a ``new``
    translation. Flushes (tenants/site_languages.py)."""
    model, column, fields = KINDS[type(item)]
    by_language = {row.language: row for row in session.scalars(select(model).where(
        getattr(model, column) == item.id, model.language.in_([old, new])))}
    own = {field: getattr(item, field) for field in fields}
    newer = by_language.get(new)
    if newer is not None:
        shown = localised_one(session, item, new, old)
        for field in fields:
            if field.startswith("seo_"):
                setattr(item, field, getattr(newer, field))
            else:
                setattr(item, field, getattr(shown, field))
        session.delete(newer)
    older = by_language.get(old)
    if older is None:
        older = model(tenant_id=item.tenant_id, language=old, **{column: item.id})
        session.add(older)
    for field, value in own.items():
        setattr(older, field, value)
    session.flush()
    return newer is not None
