"""The page editor: the site's pages, their blocks, preview and publishing."""

from __future__ import annotations

from functools import cache

from flask import abort, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from db.models import Page
from plans.entitlements import is_kept, over_limit_ids, usage
from tenants import pages
from tenants.scope import get_scoped, scoped
from tenants.site_content import BLOCK_FIELDS, ITEM_FIELDS, LINK_PREFIXES, MAX_PRODUCTS_SHOWN, is_safe_link
from web.extensions import db
from web.public_site import render_site
from web.public_site.render import page_url
from web.refusals import show_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import catalog

LONG_TEXT = {"body", "answer", "quote", "subheading"}
LABELS = {"limit": "Number of products to show", "submit_label": "Button label",
          "button_link": "Button link", "button_label": "Button label"}
BLOCK_LABELS = {"cta": "Call to action", "faq": "FAQ", "contact_form": "Contact form"}
MAX_ITEMS = 50
MAX_SHORT_TEXT, MAX_LONG_TEXT = 200, 10_000


def strip(value):
    return value.strip() if isinstance(value, str) else value


def strip_lower(value):
    return value.strip().lower() if isinstance(value, str) else value


def block_label(block_type: str) -> str:
    return BLOCK_LABELS.get(block_type, block_type.capitalize())


class NewPageForm(FlaskForm):
    title = StringField("Title", filters=[strip], validators=[
        DataRequired("Give the page a title."), Length(max=200)])
    slug = StringField("Address", filters=[strip_lower], description=(
        "The page's address on your site, like about-us for /about-us. Leave it empty to make "
        "one from the title."))


class PageSettingsForm(NewPageForm):
    in_navigation = BooleanField("Show in the site's navigation")


class AddBlockForm(FlaskForm):
    type = SelectField("Block type", choices=[
        SelectChoice(name, block_label(name)) for name in BLOCK_FIELDS])


def _safe_link(form, field):
    if not is_safe_link(field.data or ""):
        raise ValidationError(f"Start the link with {', '.join(LINK_PREFIXES)} (like /contact).")


def _text_field(name: str):
    label = LABELS.get(name, name.replace("_", " ").capitalize())
    if name in LONG_TEXT:
        return TextAreaField(label, filters=[strip], validators=[Length(max=MAX_LONG_TEXT)])
    validators = [Length(max=MAX_SHORT_TEXT)] + ([_safe_link] if name == "button_link" else [])
    return StringField(label, filters=[strip], validators=validators)


def _filled(item: dict) -> bool:
    return any(value for value in item.values())


def _validate_items(form, field):
    if not any(_filled(entry.data) for entry in field):
        raise ValidationError("Add at least one item.")


@cache
def block_form(block_type: str) -> type[FlaskForm]:
    """The form for one block type, one field per entry of ``BLOCK_FIELDS``."""
    fields = {}
    for name in BLOCK_FIELDS[block_type]:
        if name == "items":
            item_form = type(f"{block_type}_item", (Form,),
                             {item: _text_field(item) for item in ITEM_FIELDS[block_type]})
            fields[name] = FieldList(FormField(item_form), "Items", max_entries=MAX_ITEMS)
            fields["validate_items"] = _validate_items
        elif name == "limit":
            fields[name] = IntegerField(LABELS[name], validators=[
                InputRequired("Say how many products to show."),
                NumberRange(1, MAX_PRODUCTS_SHOWN, f"Show from 1 to {MAX_PRODUCTS_SHOWN} products.")])
        else:
            fields[name] = _text_field(name)
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
        elif name == "limit":
            data[name] = form[name].data
        else:
            data[name] = form[name].data or ""
    return data


def _summary(block: dict) -> str:
    """A line that tells blocks of one type apart in the editor."""
    data = block["data"]
    if pages.is_empty_block(block):
        return "empty, not shown on your site until you fill it in"
    if data.get("heading"):
        return data["heading"]
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


def _editor(page: Page, form: PageSettingsForm, add_form: AddBlockForm):
    status = 422 if form.errors or add_form.errors else 200
    blocks = [(block_label(block["type"]), _summary(block)) for block in page.blocks]
    return render_template("portal/pages/edit.html", page=page, form=form, add_form=add_form,
                           blocks=blocks, over_limit=_over_limit(page)), status


def _done(message: str, page: Page):
    db.session.commit()
    flash(message, "info")
    return redirect(url_for("portal.edit_page", page_id=page.id), code=303)


@bp.get("/pages", endpoint="pages")
def page_list():
    rows = db.session.scalars(scoped(Page, g.tenant.id).order_by(Page.position, Page.id)).all()
    return render_template("portal/pages/index.html", pages=rows,
                           usage=usage(db.session, catalog(), g.tenant, "pages"),
                           over_limit=over_limit_ids(db.session, catalog(), g.tenant, "pages"))


@bp.route("/pages/new", methods=["GET", "POST"])
def new_page():
    form = NewPageForm()
    if form.validate_on_submit():
        show_refusals(form, lambda: render_template("portal/pages/new.html", form=form))
        page = pages.create_page(db.session, catalog(), g.tenant, form.title.data, form.slug.data)
        return _done(f"Page “{page.title}” is created as a draft. Add blocks, then "
                     "publish it.", page)
    return render_template("portal/pages/new.html", form=form), 422 if form.errors else 200


@bp.route("/pages/<int:page_id>", methods=["GET", "POST"])
def edit_page(page_id: int):
    page = _page_or_404(page_id)
    form = PageSettingsForm(obj=page)
    if form.validate_on_submit():
        show_refusals(form, lambda: _editor(page, form, AddBlockForm(formdata=None)))
        pages.update_page(db.session, catalog(), g.tenant, page, form.title.data,
                          form.slug.data, form.in_navigation.data)
        return _done("Page settings saved.", page)
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
        return render_site(db.session, g.tenant, path)
    finally:
        savepoint.rollback()


@bp.post("/pages/<int:page_id>/publish")
def publish_page(page_id: int):
    page = _page_or_404(page_id)
    pages.set_published(db.session, catalog(), g.tenant, page, True)
    return _done(f"“{page.title}” is published on your site.", page)


@bp.post("/pages/<int:page_id>/unpublish")
def unpublish_page(page_id: int):
    page = _page_or_404(page_id)
    pages.set_published(db.session, catalog(), g.tenant, page, False)
    return _done(f"“{page.title}” is a draft again; it is no longer on your site.", page)


@bp.post("/pages/<int:page_id>/delete")
def delete_page(page_id: int):
    page = _page_or_404(page_id)
    pages.delete_page(db.session, page)
    db.session.commit()
    flash(f"Page “{page.title}” is deleted.", "info")
    return redirect(url_for("portal.pages"), code=303)


@bp.post("/pages/<int:page_id>/blocks")
def add_block(page_id: int):
    page = _page_or_404(page_id)
    add_form = AddBlockForm()
    if not add_form.validate():
        return _editor(page, PageSettingsForm(formdata=None, obj=page), add_form)
    index = pages.add_block(db.session, catalog(), g.tenant, page, add_form.type.data)
    db.session.commit()
    flash(f"{block_label(add_form.type.data)} block added at the end of the page. Fill it in.", "info")
    return redirect(url_for("portal.edit_block", page_id=page.id, index=index), code=303)


@bp.route("/pages/<int:page_id>/blocks/<int:index>", methods=["GET", "POST"])
def edit_block(page_id: int, index: int):
    page = _page_or_404(page_id)
    block = _block_or_404(page, index)
    form = block_form(block["type"])(data=_form_data(block))

    def block_page():
        return render_template("portal/pages/block.html", page=page, index=index, form=form,
                               label=block_label(block["type"]), over_limit=_over_limit(page),
                               empty=pages.is_empty_block(block)), \
            422 if form.errors else 200

    if form.validate_on_submit():
        show_refusals(form, block_page)
        pages.update_block(db.session, catalog(), g.tenant, page, index,
                           _block_data(form, block["type"]))
        return _done(f"{block_label(block['type'])} block saved.", page)
    return block_page()


@bp.post("/pages/<int:page_id>/blocks/<int:index>/move-<any(up, down):direction>")
def move_block(page_id: int, index: int, direction: str):
    page = _page_or_404(page_id)
    _block_or_404(page, index)
    pages.move_block(db.session, catalog(), g.tenant, page, index, -1 if direction == "up" else 1)
    return _done(f"Block moved {direction}.", page)


@bp.post("/pages/<int:page_id>/blocks/<int:index>/delete")
def delete_block(page_id: int, index: int):
    page = _page_or_404(page_id)
    block = _block_or_404(page, index)
    pages.delete_block(db.session, catalog(), g.tenant, page, index)
    return _done(f"{block_label(block['type'])} block deleted.", page)
