"""The webshop in the portal: list, create, edit and delete products (plans with a webshop)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from db.models import Product
from db.models.revisions import Change
from plans.entitlements import is_kept, over_limit_ids, usage
from tenants import products as product_rules
from tenants.scope import get_scoped
from web.extensions import db
from web.refusals import show_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import catalog, requires_feature
from web.tenant_portal.revisions import keep_revision
from worker.services import services


class ParsedField(StringField):
    """Text that ``parse`` turns into ``data`` (raising ValueError with a message for people);
    ``show`` turns ``data`` back into text. Typed text is kept when it is not valid."""

    def __init__(self, label, parse, show, **kwargs):
        super().__init__(label, **kwargs)
        self.parse, self.show = parse, show

    def process_formdata(self, valuelist):
        self.data = None  # not the default when parsing fails
        self.data = self.parse(valuelist[0] if valuelist else "")

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else self.show(self.data)


NOT_OUR_IMAGE = _l("Choose images from your media library.")


def _strip(value):
    """Surrounding spaces and NUL characters (which PostgreSQL text cannot hold) go."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


class ProductForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[
        DataRequired(_l("Give the product a name.")), Length(max=200)])
    slug = StringField(_l("Address in the shop"), filters=[_strip], validators=[
        Length(max=product_rules.MAX_SLUG_LENGTH)])
    description = TextAreaField(_l("Description"), filters=[_strip],
                                validators=[Length(max=10_000)])
    price = ParsedField(_l("Price in euros"), parse=product_rules.price_cents,
                        show=product_rules.euros)
    stock = ParsedField(_l("Stock"), parse=product_rules.stock_count, show=str)  # empty: untracked
    images = SelectMultipleField(_l("Images"), coerce=int, widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput(), invalid_value_message=NOT_OUR_IMAGE,
                                 invalid_choice_message=NOT_OUR_IMAGE)
    active = BooleanField(_l("Show in the shop"), default=True)
    vat_rate = SelectField(_l("VAT in the price"), coerce=int, default=21, choices=[
        SelectChoice(21, _l("21% (most products)")),
        SelectChoice(9, _l("9% (food, books, some services)")),
        SelectChoice(0, _l("0% (exempt)"))])

    def validate_slug(self, field):
        problem = product_rules.slug_problem(field.data) if field.data else None
        if problem:
            raise ValidationError(problem)

    def values(self) -> product_rules.ProductValues:
        return product_rules.ProductValues(
            name=self.name.data, slug=self.slug.data or "", description=self.description.data or "",
            price_cents=self.price.data, stock=self.stock.data, image_ids=self.images.data or [],
            active=self.active.data, vat_rate=self.vat_rate.data)


def _form(product: Product | None = None) -> ProductForm:
    data = None
    if product is not None:
        data = {"name": product.name, "slug": product.slug, "description": product.description,
                "price": product.price_cents, "stock": product.stock, "active": product.active,
                "vat_rate": product.vat_rate,
                "images": product_rules.chosen_image_ids(db.session, product)}
    form = ProductForm(data=data)
    form.images.choices = [SelectChoice(m.id, m.filename)
                           for m in product_rules.image_choices(db.session, g.tenant.id)]
    return form


def _product(product_id: int) -> Product:
    product = get_scoped(db.session, Product, g.tenant.id, product_id)
    if product is None:
        abort(404, description=_("There is no such product."))
    return product


def _edit(product: Product | None):
    """The product's form; once valid, the product is saved and the list shown."""
    form = _form(product)

    def form_page():
        over_limit = product is not None and not is_kept(db.session, catalog(), g.tenant,
                                                         "products", product.id)
        return render_template("portal/products/form.html", form=form, product=product,
                               over_limit=over_limit), 422 if form.errors else 200

    if form.validate_on_submit():
        show_refusals(form, form_page)
        if product is None:
            product = product_rules.create(db.session, catalog(), g.tenant, form.values())
        else:
            product_rules.update(db.session, catalog(), g.tenant, product, form.values())
        keep_revision(product, Change.PRODUCT)
        db.session.commit()
        flash(_("%(name)s is saved.", name=product.name), "info")
        return redirect(url_for("portal.products"), code=303)
    return form_page()


@bp.get("/products")
@requires_feature("webshop")
def products():
    return render_template(
        "portal/products/list.html", products=product_rules.listing(db.session, g.tenant.id),
        usage=usage(db.session, catalog(), g.tenant, "products"),
        over_limit=over_limit_ids(db.session, catalog(), g.tenant, "products"),
        shop_url=services().urls.site(g.tenant.subdomain) + "shop")


@bp.route("/products/new", methods=["GET", "POST"])
@requires_feature("webshop")
def new_product():
    return _edit(None)


@bp.route("/products/<int(max=2147483647):product_id>", methods=["GET", "POST"])
@requires_feature("webshop")
def edit_product(product_id: int):
    return _edit(_product(product_id))


@bp.post("/products/<int(max=2147483647):product_id>/delete")
@requires_feature("webshop")
def delete_product(product_id: int):
    product = _product(product_id)
    product_rules.delete(db.session, product)
    db.session.commit()
    flash(_("%(name)s is deleted.", name=product.name), "info")
    return redirect(url_for("portal.products"), code=303)
