"""The shop's cart and checkout on a tenant's site: ``/cart`` (show, change), ``/cart/add``,
``/cart/checkout`` (to Stripe Checkout on the shop's own account) and ``/cart/thanks``.

Not Flask routes: ``web.tenant_sites`` hands these paths here after its status checks (a
suspended or closed site answers with its status page and sells nothing), for plans with the
webshop. Forms carry the session's CSRF token. Every price is read from the database.
"""

from __future__ import annotations

from flask import Response, current_app, redirect, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError, ValidationError, validate_csrf
from sqlalchemy import select
from sqlalchemy.orm import Session
from stripe import StripeError

from billing.shop_checkout import start_checkout
from db.messages import N_
from db.models import Order, Tenant
from db.refusals import Refused
from tenants import cart as cart_rules
from tenants import shop as shop_rules
from web.hosts import site_url
from web.i18n import translated
from web.public_site.cart_session import cart_of, save_cart
from web.public_site.languages import Place, localise_path
from web.public_site.render import render_site_page
from web.refusals import render_refusals
from worker.services import services

PATHS = ("/cart", "/cart/add", "/cart/checkout", "/cart/thanks")


def _back(tenant: Tenant, where: Place, path: str = "/cart") -> Response:
    return redirect(localise_path(path, where.language, tenant.language), code=303)


def _page(session: Session, tenant: Tenant, where: Place, status: int = 200,
          problem: str | None = None, notes: tuple = ()) -> Response:
    """The cart as it is now (lines that can no longer be bought drop out, with a note;
    ``notes``: those of a change found just before)."""
    the = services()
    cart = cart_of(tenant.id)
    priced = cart_rules.priced(session, the.catalog, tenant, cart)
    priced.notes[:0] = notes
    save_cart(tenant.id, cart)
    shop = shop_rules.shop_of(session, tenant.id)
    options = shop_rules.shipping_options(shop, priced.goods_cents) if shop is not None else []
    return render_site_page(
        session, tenant, "cart.html", status, where.language, title=gettext("Cart"),
        cart=priced, notes=[translated(note) for note in priced.notes], problem=problem,
        shipping=[(translated(option.label), option.cents) for option in options],
        free_above=shop.free_above_cents if shop is not None else None)


def _checked_form() -> None:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except (ValidationError, CSRFError):
        raise Refused(N_("The form has expired. Reload the page and try again."),
                      status=400) from None


def handle(session: Session, tenant: Tenant, where: Place) -> Response:
    the = services()
    render_refusals(lambda refused: _page(session, tenant, where, refused.status,
                                          translated(refused.message)))
    if where.path == "/cart/thanks" and request.method in ("GET", "HEAD"):
        return _thanks(session, tenant, where)
    if request.method in ("GET", "HEAD"):
        if where.path != "/cart":
            return _back(tenant, where)
        return _page(session, tenant, where)
    _checked_form()
    cart = cart_of(tenant.id)
    if where.path == "/cart/add":
        cart_rules.add(session, the.catalog, tenant, cart,
                       cart_rules.product_id(request.form.get("product")),
                       cart_rules.quantity(request.form.get("quantity", "1")))
    elif where.path == "/cart":
        pid = cart_rules.product_id(request.form.get("product"))
        count = 0 if "remove" in request.form else cart_rules.quantity(request.form.get("quantity"))
        cart_rules.change(session, the.catalog, tenant, cart, pid, count)
    elif where.path == "/cart/checkout":
        return _checkout(session, tenant, where, cart)
    save_cart(tenant.id, cart)
    return _back(tenant, where)


def _checkout(session: Session, tenant: Tenant, where: Place, cart: cart_rules.Cart) -> Response:
    the = services()
    shop = shop_rules.shop_of(session, tenant.id)
    if not shop_rules.sells(the.catalog, tenant, shop):
        raise Refused(N_("This shop does not take orders yet. Please try again later."),
                      status=409)
    priced = cart_rules.priced(session, the.catalog, tenant, cart)
    save_cart(tenant.id, cart)
    if priced.notes:  # the cart changed since it was shown: show it again before paying
        return _page(session, tenant, where, 409, notes=tuple(priced.notes))
    site = site_url(tenant.subdomain).rstrip("/")
    thanks = localise_path("/cart/thanks", where.language, tenant.language)
    labels = {option.code: translated(option.label)
              for option in shop_rules.shipping_options(shop, priced.goods_cents)}
    try:
        url = start_checkout(
            session, the.stripe, the.catalog, tenant, shop, priced, where.language, labels,
            success_url=f"{site}{thanks}?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{site}{localise_path('/cart', where.language, tenant.language)}")
    except StripeError:
        session.rollback()
        current_app.logger.exception("checkout of tenant %s", tenant.id)
        raise Refused(N_("Payments cannot be started right now. Nothing was charged; please "
                         "try again in a few minutes."), status=503) from None
    session.commit()
    return redirect(url, code=303)


def _thanks(session: Session, tenant: Tenant, where: Place) -> Response:
    checkout_id = (request.args.get("session_id") or "")[:255]
    order = session.scalar(select(Order).where(
        Order.tenant_id == tenant.id, Order.checkout_session_id == checkout_id)) \
        if checkout_id else None
    if order is None:
        return _back(tenant, where)
    if order.status != "expired":
        save_cart(tenant.id, {})  # ordered: the cart is done
    return render_site_page(session, tenant, "thanks.html", 200, where.language,
                            title=gettext("Thank you"), order=order)
