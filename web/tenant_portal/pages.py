"""The page editor: the site's pages, their blocks, preview and publishing."""

from __future__ import annotations

from functools import cache

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from db.models import MediaFile, Page
from db.models.revisions import Change
from plans.entitlements import is_kept, over_limit_ids, usage
from tenants import markdown, pages
from tenants.assistant import prompts
from tenants.scope import get_scoped, scoped
from tenants.site_content import (
    BLOCK_FIELDS,
    IMAGE_BLOCKS,
    IMAGE_SIDES,
    ITEM_FIELDS,
    LINK_FIELDS,
    LINK_PREFIXES,
    MAX_PRODUCTS_SHOWN,
    is_safe_link,
)
from web.extensions import db
from web.public_site import render_site
from web.public_site.render import page_url
from web.refusals import show_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import catalog
from web.tenant_portal.labels import block_label
from web.tenant_portal.media import thumbnail
from web.tenant_portal.revisions import keep_revision

LONG_TEXT = {"body", "answer", "quote", "subheading"}
# The label of every field of BLOCK_FIELDS and ITEM_FIELDS (tenants/site_content.py).
LABELS = {"heading": _l("Heading"), "subheading": _l("Subheading"), "body": _l("Text"),
          "items": _l("Items"), "title": _l("Title"), "quote": _l("Quote"),
          "author": _l("Author"), "role": _l("Role"), "question": _l("Question"),
          "answer": _l("Answer"), "limit": _l("Number of products to show"),
          "submit_label": _l("Button label"), "button_link": _l("Button link"),
          "button_label": _l("Button label"), "alt": _l("Alt text"),
          "link": _l("Link (optional)"), "caption": _l("Caption (optional)"),
          "media_id": _l("Image"), "image_side": _l("Image side")}
IMAGE_SIDE_LABELS = {"left": _l("Image on the left"), "right": _l("Image on the right")}
HINTS = {
    "alt": _l("Describe what the image shows, for people who cannot see it and for search "
              "engines."),
    "link": _l("Where the image leads when clicked, like /contact. Leave it empty for no link."),
}
MAX_ITEMS = 50
MAX_SHORT_TEXT, MAX_LONG_TEXT = 200, 10_000


def strip(value):
    return value.strip() if isinstance(value, str) else value


def strip_lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class NewPageForm(FlaskForm):
    title = StringField(_l("Title"), filters=[strip], validators=[
        DataRequired(_l("Give the page a title.")), Length(max=200)])
    slug = StringField(_l("Address"), filters=[strip_lower], description=_l(
        "The page's address on your site, like about-us for /about-us. Leave it empty to make "
        "one from the title."))


def media_choice(value):
    """A chosen media id from a form: a whole number, or None for none (or nonsense, which the
    rule then refuses in words)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


class PageSettingsForm(NewPageForm):
    in_navigation = BooleanField(_l("Show in the site's navigation"))
    seo_title = StringField(_l("Search title"), filters=[strip], validators=[Length(
        max=pages.MAX_SEO_TITLE, message=_l(
            "Use at most %(max)s characters for the search title (search engines show about "
            "%(shown)s).", max=pages.MAX_SEO_TITLE, shown=pages.SEO_TITLE_SHOWN))],
        description=_l(
            "The title in search results and when the page is shared. Search engines show about "
            "%(shown)s characters. Leave it empty to use the page title and your company name.",
            shown=pages.SEO_TITLE_SHOWN))
    seo_description = TextAreaField(_l("Search description"), filters=[strip], validators=[Length(
        max=pages.MAX_SEO_DESCRIPTION, message=_l(
            "Use at most %(max)s characters for the search description (search engines show "
            "about %(shown)s).", max=pages.MAX_SEO_DESCRIPTION,
            shown=pages.SEO_DESCRIPTION_SHOWN))],
        description=_l(
            "A sentence or two under the title in search results. Search engines show about "
            "%(shown)s characters. Leave it empty to use your site's tagline.",
            shown=pages.SEO_DESCRIPTION_SHOWN))
    social_image_id = SelectField(_l("Image when shared"), coerce=media_choice,
                                  validate_choice=False, description=_l(
                                      "Shown when the page is shared on social media. Without "
                                      "one, your site's own image or logo is used."))


class AddBlockForm(FlaskForm):
    type = SelectField(_l("Block type"), choices=[
        SelectChoice(name, block_label(name)) for name in BLOCK_FIELDS])


def _image_library() -> list[MediaFile]:
    return list(db.session.scalars(pages.image_query(g.tenant.id)))


def _usable_images(blocks: list[dict]) -> set[int]:
    return pages.usable_images(db.session, catalog(), g.tenant, pages.image_ids(blocks))


def _validate_alt(form, field):
    if form.media_id.data is not None and not form.decorative.data and not field.data:
        raise ValidationError(_("Describe the image in a few words, or tick that it is "
                                "decorative."))


def _validate_decorative(form, field):
    if field.data and "link" in form and form.link.data:
        raise ValidationError(_("A linked image needs alt text that says where the link goes."))


def _safe_link(form, field):
    if not is_safe_link(field.data or ""):
        raise ValidationError(_("Start the link with %(prefixes)s (like /contact).",
                                prefixes=", ".join(LINK_PREFIXES)))


def _text_field(name: str):
    label = LABELS.get(name, name.replace("_", " ").capitalize())
    if name in LONG_TEXT:
        return TextAreaField(label, filters=[strip], validators=[Length(max=MAX_LONG_TEXT)],
                             description=_l(markdown.HELP) if name == "body" else None)
    validators = [Length(max=MAX_SHORT_TEXT)] + ([_safe_link] if name in LINK_FIELDS else [])
    return StringField(label, filters=[strip], validators=validators, description=HINTS.get(name))


def _filled(item: dict) -> bool:
    return any(value for value in item.values())


def _validate_items(form, field):
    if not any(_filled(entry.data) for entry in field):
        raise ValidationError(_("Add at least one item."))


@cache
def block_form(block_type: str) -> type[FlaskForm]:
    """The form for one block type, one field per entry of ``BLOCK_FIELDS``."""
    fields = {}
    for name in BLOCK_FIELDS[block_type]:
        if name == "items":
            item_form = type(f"{block_type}_item", (Form,),
                             {item: _text_field(item) for item in ITEM_FIELDS[block_type]})
            fields[name] = FieldList(FormField(item_form), LABELS["items"], max_entries=MAX_ITEMS)
            fields["validate_items"] = _validate_items
        elif name == "limit":
            fields[name] = IntegerField(LABELS[name], validators=[
                InputRequired(_l("Say how many products to show.")),
                NumberRange(1, MAX_PRODUCTS_SHOWN, _l("Show from 1 to %(max)s products.",
                                                      max=MAX_PRODUCTS_SHOWN))])
        elif name == "media_id":  # choices: the tenant's images, set per request
            fields[name] = RadioField(LABELS["media_id"], coerce=media_choice,
                                      validate_choice=False)
        elif name == "image_side":
            fields[name] = RadioField(LABELS["image_side"], choices=[
                SelectChoice(side, IMAGE_SIDE_LABELS[side]) for side in IMAGE_SIDES],
                validators=[InputRequired(_l("Choose the side of the image."))])
        else:
            fields[name] = _text_field(name)
        if name == "alt":
            fields["decorative"] = BooleanField(_l(
                "This image is decorative: it adds nothing to the words, so it needs no alt text"))
            fields["validate_alt"] = _validate_alt
            fields["validate_decorative"] = _validate_decorative
    return type(f"{block_type}_block_form", (FlaskForm,), fields)


def _form_data(block: dict) -> dict:
    """The block's data with an empty item at the end, for adding one."""
    data = dict(block["data"])
    if "items" in data and _filled(data["items"][-1]):
        data["items"] = [*data["items"], dict.fromkeys(ITEM_FIELDS[block["type"]], "")]
    return data


def _block_data(form: FlaskForm, block_type: str) -> dict:
    """The form's values as block data; items whose fields are all empty are left out."""
    data = {}
    for name in BLOCK_FIELDS[block_type]:
        if name == "items":
            data[name] = [entry.data for entry in form[name] if _filled(entry.data)]
        elif name in ("limit", "media_id"):
            data[name] = form[name].data
        else:
            data[name] = form[name].data or ""
    if block_type in IMAGE_BLOCKS and form.decorative.data:
        data["decorative"], data["alt"] = True, ""
    return data


def _summary(block: dict, usable: set[int]) -> str:
    """A line that tells blocks of one type apart in the editor; ``usable``: the media ids the
    site can show."""
    data = block["data"]
    if pages.is_empty_block(block):
        return _("empty, not shown on your site until you fill it in")
    if block["type"] in IMAGE_BLOCKS and data.get("media_id") not in usable:
        return _("needs a new image: its file was deleted or is beyond your plan's storage")
    if data.get("heading"):
        return data["heading"]
    if block["type"] in IMAGE_BLOCKS:
        return data.get("caption") or data.get("alt") or _("decorative image")
    items = data.get("items") or [{}]
    return next((value for value in items[0].values() if value), "")


def _page_or_404(page_id: int) -> Page:
    return get_scoped(db.session, Page, g.tenant.id, page_id) or abort(404)


def _block_or_404(page: Page, index: int) -> dict:
    if index >= len(page.blocks):
        abort(404)
    return page.blocks[index]


def _over_limit(page: Page) -> bool:
    """Whether the page is beyond the plan's page limit: shown read-only, with a note."""
    return not is_kept(db.session, catalog(), g.tenant, "pages", page.id)


def _with_images(form: PageSettingsForm, library: list[MediaFile]) -> PageSettingsForm:
    form.social_image_id.choices = [SelectChoice("", _("None: use the site's own image"))] + [
        SelectChoice(row.id, row.filename) for row in library]
    return form


def _editor(page: Page, form: PageSettingsForm, add_form: AddBlockForm):
    status = 422 if form.errors or add_form.errors else 200
    usable = _usable_images(page.blocks)
    blocks = [(block_label(block["type"]), _summary(block, usable), pages.is_placeholder(block))
              for block in page.blocks]
    return render_template("portal/pages/edit.html", page=page, form=form, add_form=add_form,
                           blocks=blocks, over_limit=_over_limit(page),
                           page_text=pages.plain_text(page, prompts.MAX_TEXT)), status


def _done(message: str, page: Page):
    db.session.commit()
    flash(message, "info")
    return redirect(url_for("portal.edit_page", page_id=page.id), code=303)


@bp.get("/pages", endpoint="pages")
def page_list():
    rows = db.session.scalars(scoped(Page, g.tenant.id).order_by(Page.position, Page.id)).all()
    return render_template("portal/pages/index.html", pages=rows,
                           to_replace={page.id for page in rows if pages.has_placeholder(page)},
                           usage=usage(db.session, catalog(), g.tenant, "pages"),
                           over_limit=over_limit_ids(db.session, catalog(), g.tenant, "pages"))


@bp.route("/pages/new", methods=["GET", "POST"])
def new_page():
    form = NewPageForm()
    if form.validate_on_submit():
        show_refusals(form, lambda: render_template("portal/pages/new.html", form=form))
        page = pages.create_page(db.session, catalog(), g.tenant, form.title.data, form.slug.data)
        return _done(_("Page “%(title)s” is created as a draft. Add blocks, then publish it.",
                       title=page.title), page)
    return render_template("portal/pages/new.html", form=form), 422 if form.errors else 200


@bp.route("/pages/<int:page_id>", methods=["GET", "POST"])
def edit_page(page_id: int):
    page = _page_or_404(page_id)
    form = _with_images(PageSettingsForm(obj=page), _image_library())
    if form.validate_on_submit():
        show_refusals(form, lambda: _editor(page, form, AddBlockForm(formdata=None)))
        pages.update_page(db.session, catalog(), g.tenant, page, form.title.data,
                          form.slug.data, form.in_navigation.data, form.seo_title.data,
                          form.seo_description.data, form.social_image_id.data)
        keep_revision(page, Change.SETTINGS)
        return _done(_("Page settings saved."), page)
    return _editor(page, form, AddBlockForm(formdata=None))


@bp.get("/pages/<int:page_id>/preview")
def preview_page(page_id: int):
    """The page as the public site would show it once published, without publishing it: it is
    published in a savepoint that is rolled back when the page is rendered."""
    page = _page_or_404(page_id)
    path = page_url(page)
    savepoint = db.session.begin_nested()
    try:
        pages.set_published(db.session, catalog(), g.tenant, page, True)
        with force_locale(g.tenant.language):  # the site's words, as its visitors read them
            return render_site(db.session, g.tenant, path)
    finally:
        savepoint.rollback()


@bp.post("/pages/<int:page_id>/publish")
def publish_page(page_id: int):
    page = _page_or_404(page_id)
    pages.set_published(db.session, catalog(), g.tenant, page, True)
    return _done(_("“%(title)s” is published on your site.", title=page.title), page)


@bp.post("/pages/<int:page_id>/unpublish")
def unpublish_page(page_id: int):
    page = _page_or_404(page_id)
    pages.set_published(db.session, catalog(), g.tenant, page, False)
    return _done(_("“%(title)s” is a draft again; it is no longer on your site.",
                   title=page.title), page)


@bp.post("/pages/<int:page_id>/delete")
def delete_page(page_id: int):
    page = _page_or_404(page_id)
    pages.delete_page(db.session, page)
    db.session.commit()
    flash(_("Page “%(title)s” is deleted.", title=page.title), "info")
    return redirect(url_for("portal.pages"), code=303)


@bp.post("/pages/<int:page_id>/blocks")
def add_block(page_id: int):
    page = _page_or_404(page_id)
    add_form = AddBlockForm()
    if not add_form.validate():
        return _editor(page, _with_images(PageSettingsForm(formdata=None, obj=page),
                                          _image_library()), add_form)
    index = pages.add_block(db.session, catalog(), g.tenant, page, add_form.type.data)
    db.session.commit()
    flash(_("%(block)s block added at the end of the page. Fill it in.",
            block=block_label(add_form.type.data)), "info")
    return redirect(url_for("portal.edit_block", page_id=page.id, index=index), code=303)


@bp.route("/pages/<int:page_id>/blocks/<int:index>", methods=["GET", "POST"])
def edit_block(page_id: int, index: int):
    page = _page_or_404(page_id)
    block = _block_or_404(page, index)
    form = block_form(block["type"])(data=_form_data(block))
    library = _image_library() if block["type"] in IMAGE_BLOCKS else []
    if "media_id" in form:
        form.media_id.choices = [SelectChoice(row.id, row.filename) for row in library]
    needs_image = (block["type"] in IMAGE_BLOCKS and not pages.is_empty_block(block)
                   and not _usable_images([block]))

    def block_page():
        return render_template("portal/pages/block.html", page=page, index=index, form=form,
                               label=block_label(block["type"]), over_limit=_over_limit(page),
                               empty=pages.is_empty_block(block), library=library,
                               placeholder=pages.is_placeholder(block), thumbnail=thumbnail,
                               needs_image=needs_image), \
            422 if form.errors else 200

    if form.validate_on_submit():
        show_refusals(form, block_page)
        pages.update_block(db.session, catalog(), g.tenant, page, index,
                           _block_data(form, block["type"]))
        keep_revision(page, Change.BLOCK, detail=block["type"])
        return _done(_("%(block)s block saved.", block=block_label(block["type"])), page)
    return block_page()


@bp.post("/pages/<int:page_id>/blocks/<int:index>/move-<any(up, down):direction>")
def move_block(page_id: int, index: int, direction: str):
    page = _page_or_404(page_id)
    _block_or_404(page, index)
    pages.move_block(db.session, catalog(), g.tenant, page, index, -1 if direction == "up" else 1)
    return _done(_("Block moved up.") if direction == "up" else _("Block moved down."), page)


@bp.post("/pages/<int:page_id>/blocks/<int:index>/delete")
def delete_block(page_id: int, index: int):
    page = _page_or_404(page_id)
    block = _block_or_404(page, index)
    pages.delete_block(db.session, catalog(), g.tenant, page, index)
    return _done(_("%(block)s block deleted.", block=block_label(block["type"])), page)
