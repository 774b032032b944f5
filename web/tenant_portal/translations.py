"""Translating the site's content side by side: each text of a page (title, blocks, search
fields), a blog post (title, body, search fields) or a product (name, description) in the
default language beside a field for the same text in another of the site's languages.

Every member may translate (content is everyone's). Saving needs the plan feature
``multi_language``; without it (a downgrade) the stored translations are shown read-only. The
rules are tenants/translations.py; an item of another tenant, or none, is a 404, and so is a
language the site does not translate into.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from db.models import Page, Post, Product
from db.models.revisions import Change
from plans.entitlements import is_kept, may_use
from tenants import site_languages, translations
from tenants.scope import get_scoped, scoped
from tenants.site_content import ITEM_FIELDS
from web.extensions import db
from web.refusals import render_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import catalog, requires_feature
from web.tenant_portal.labels import block_label
from web.tenant_portal.languages import language_name
from web.tenant_portal.revisions import keep_revision

TEXT_LABELS = {
    "title": _l("Title"), "name": _l("Name"), "heading": _l("Heading"),
    "subheading": _l("Subheading"), "body": _l("Text"), "button_label": _l("Button label"),
    "submit_label": _l("Button label"), "alt": _l("Alt text"), "caption": _l("Caption"),
    "quote": _l("Quote"), "author": _l("Author"), "role": _l("Role"),
    "question": _l("Question"), "answer": _l("Answer"), "description": _l("Description"),
    "seo_title": _l("Search title"), "seo_description": _l("Search description"),
}
LONG = {"body", "answer", "quote", "subheading", "description", "seo_description"}


class TranslationForm(FlaskForm):
    """Only the CSRF token: the texts are read by name (their number depends on the item)."""


def _item_or_404(model, item_id: int):
    return get_scoped(db.session, model, g.tenant.id, item_id) or abort(404)


def _language_or_404(language: str) -> str:
    if language not in site_languages.others(g.tenant):
        abort(404)
    return language


def _editable() -> bool:
    return may_use(catalog(), g.tenant, translations.FEATURE)


def _text(name: str) -> str:
    return request.form.get(name, "")


def _field(name: str, label, original, value, status_missing: bool = False) -> dict:
    return {"name": name, "label": label, "original": original or "", "value": value or "",
            "long": name.rsplit("-", 1)[-1] in LONG, "missing": status_missing}


def _fields(names: tuple[str, ...], item, row, form_values: dict | None) -> list[dict]:
    fields = []
    for name in names:
        value = (form_values or {}).get(name, getattr(row, name, "") if row else "")
        original = getattr(item, name)
        fields.append(_field(name, TEXT_LABELS[name], original, value,
                             bool(original) and not value))
    return fields


def _block_fields(page: Page, row, submitted: bool) -> list[dict]:
    """One group per block of the page: its texts beside the translation's."""
    stored = row.blocks if row is not None and isinstance(row.blocks, list) else []
    groups = []
    for index, block in enumerate(page.blocks):
        other = stored[index] if index < len(stored) and isinstance(stored[index], dict) \
            and stored[index].get("type") == block["type"] else {"data": {}}
        theirs = other.get("data") if isinstance(other.get("data"), dict) else {}
        fields = []
        for name in translations.text_fields(block["type"]):
            key = f"block-{index}-{name}"
            value = _text(key) if submitted else theirs.get(name, "")
            original = block["data"].get(name)
            fields.append(_field(key, TEXT_LABELS.get(name, name), original, value,
                                 bool(original) and not value))
        their_items = theirs.get("items") if isinstance(theirs.get("items"), list) else []
        for number, item in enumerate(block["data"].get("items") or []):
            their = their_items[number] if number < len(their_items) \
                and isinstance(their_items[number], dict) else {}
            for name in ITEM_FIELDS.get(block["type"], ()):
                key = f"block-{index}-item-{number}-{name}"
                value = _text(key) if submitted else their.get(name, "")
                label = _("Item %(number)s: %(field)s", number=number + 1,
                          field=TEXT_LABELS.get(name, name))
                fields.append(_field(key, label, item.get(name), value,
                                     bool(item.get(name)) and not value))
        if fields:
            groups.append({"label": block_label(block["type"]),
                           "number": index + 1, "fields": fields})
    return groups


def _submitted_blocks(page: Page) -> list[dict]:
    texts = []
    for index, block in enumerate(page.blocks):
        data = {name: _text(f"block-{index}-{name}")
                for name in translations.text_fields(block["type"])}
        items = block["data"].get("items")
        if isinstance(items, list):
            data["items"] = [{name: _text(f"block-{index}-item-{number}-{name}")
                              for name in ITEM_FIELDS.get(block["type"], ())}
                             for number in range(len(items))]
        texts.append(data)
    return texts


def _editor(kind: str, item, language: str, row, fields: list[dict], groups=(),
            over_limit: bool = False, status: int = 200):
    return render_template(
        "portal/translations/edit.html", kind=kind, item=item, language=language,
        language_name=language_name(language),
        default_name=language_name(g.tenant.language), default=g.tenant.language,
        has_translation=row is not None, fields=fields, groups=groups, editable=_editable(),
        over_limit=over_limit, form=TranslationForm(), errors=g.pop("translation_errors", []),
        title=getattr(item, "title", None) or getattr(item, "name", "")), status


def _refusals(page):
    """A refusal shows the editor again with the message (and the texts as typed)."""
    def again(exc):
        g.translation_errors = [exc.message]
        response = page()
        return response[0], exc.status
    render_refusals(again)


def _saved(item, row, endpoint: str, **args):
    """After a translation is saved: its revision, and the screen again."""
    language = row.language
    keep_revision(item, Change.TRANSLATION, translation=row)
    db.session.commit()
    flash(_("The %(language)s translation is saved.", language=language_name(language)), "info")
    return redirect(url_for(endpoint, lang=language, **args), code=303)


def _deleted(item, language: str, endpoint: str, **args):
    """The form's "Delete translation": the site shows the default language's texts again."""
    translations.delete_translation(db.session, catalog(), g.tenant, item, language)
    db.session.commit()
    flash(_("The %(language)s translation is deleted. Your site shows the %(default)s text "
            "there again.", language=language_name(language),
            default=language_name(g.tenant.language)), "info")
    return redirect(url_for(endpoint, lang=language, **args), code=303)


@bp.route("/pages/<int(max=2147483647):page_id>/translations/<lang>", methods=["GET", "POST"],
          endpoint="translate_page")
def translate_page(page_id: int, lang: str):
    page = _item_or_404(Page, page_id)
    language = _language_or_404(lang)
    row = translations.translations_of(db.session, Page, [page.id], language).get(page.id)
    form = TranslationForm()
    submitted = request.method == "POST"
    over_limit = not is_kept(db.session, catalog(), g.tenant, "pages", page.id)

    def page_again():
        values = {name: _text(name) for name in ("title", "seo_title", "seo_description")} \
            if submitted else None
        return _editor("page", page, language, row,
                       _fields(("title", "seo_title", "seo_description"), page, row, values),
                       _block_fields(page, row, submitted), over_limit,
                       422 if submitted else 200)

    if submitted:
        if not form.validate_on_submit():
            abort(400)
        _refusals(page_again)
        if request.form.get("delete"):
            return _deleted(page, language, "portal.translate_page", page_id=page.id)
        row = translations.save_page_translation(
            db.session, catalog(), g.tenant, page, language, _text("title"),
            _submitted_blocks(page), _text("seo_title"), _text("seo_description"))
        return _saved(page, row, "portal.translate_page", page_id=page.id)
    return page_again()


@bp.route("/posts/<int(max=2147483647):post_id>/translations/<lang>", methods=["GET", "POST"],
          endpoint="translate_post")
@requires_feature("blog")
def translate_post(post_id: int, lang: str):
    post = _item_or_404(Post, post_id)
    language = _language_or_404(lang)
    row = translations.translations_of(db.session, Post, [post.id], language).get(post.id)
    names = ("title", "body", "seo_title", "seo_description")
    submitted = request.method == "POST"

    def page_again():
        values = {name: _text(name) for name in names} if submitted else None
        return _editor("post", post, language, row, _fields(names, post, row, values),
                       status=422 if submitted else 200)

    if submitted:
        if not TranslationForm().validate_on_submit():
            abort(400)
        _refusals(page_again)
        if request.form.get("delete"):
            return _deleted(post, language, "portal.translate_post", post_id=post.id)
        row = translations.save_post_translation(db.session, catalog(), g.tenant, post, language,
                                                 *(_text(name) for name in names))
        return _saved(post, row, "portal.translate_post", post_id=post.id)
    return page_again()


@bp.route("/products/<int(max=2147483647):product_id>/translations/<lang>",
          methods=["GET", "POST"], endpoint="translate_product")
@requires_feature("webshop")
def translate_product(product_id: int, lang: str):
    product = _item_or_404(Product, product_id)
    language = _language_or_404(lang)
    row = translations.translations_of(db.session, Product, [product.id],
                                       language).get(product.id)
    names = ("name", "description")
    submitted = request.method == "POST"
    over_limit = not is_kept(db.session, catalog(), g.tenant, "products", product.id)

    def page_again():
        values = {name: _text(name) for name in names} if submitted else None
        return _editor("product", product, language, row,
                       _fields(names, product, row, values), over_limit=over_limit,
                       status=422 if submitted else 200)

    if submitted:
        if not TranslationForm().validate_on_submit():
            abort(400)
        _refusals(page_again)
        if request.form.get("delete"):
            return _deleted(product, language, "portal.translate_product", product_id=product.id)
        row = translations.save_product_translation(db.session, catalog(), g.tenant, product,
                                                    language, _text("name"), _text("description"))
        return _saved(product, row, "portal.translate_product", product_id=product.id)
    return page_again()


@bp.get("/translations", endpoint="translations")
def overview():
    """Every page, post and product with the state of its translation in each language."""
    others = site_languages.others(g.tenant)
    kinds = []
    for kind, model, endpoint, argument, feature in (
            ("page", Page, "portal.translate_page", "page_id", None),
            ("post", Post, "portal.translate_post", "post_id", "blog"),
            ("product", Product, "portal.translate_product", "product_id", "webshop")):
        if feature and not may_use(catalog(), g.tenant, feature):
            continue
        items = db.session.scalars(scoped(model, g.tenant.id).order_by(model.id)).all() \
            if others else []
        kinds.append({"kind": kind, "items": items, "endpoint": endpoint, "argument": argument,
                      "states": translations.states(db.session, items, others, g.tenant.language)})
    return render_template("portal/translations/index.html", kinds=kinds, others=others,
                           editable=_editable(),
                           default_name=language_name(g.tenant.language))


@bp.app_template_global()
def translation_states(items) -> dict:
    """For the portal's lists: ``{item id: {language: "done" | "partial" | "missing"}}`` for
    the site's languages besides the default (empty for a site in one language)."""
    tenant = g.get("tenant")
    items = list(items or [])
    if tenant is None or not items:
        return {}
    if isinstance(items[0], tuple):  # the blog's list pairs each post with its state
        items = [pair[0] for pair in items]
    others = site_languages.others(tenant)
    if not others:
        return {}
    return translations.states(db.session, items, others, tenant.language)

