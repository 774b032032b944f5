"""The webshop's settings in the portal (``/portal/shop``): connecting the shop's own Stripe
account (Stripe's hosted onboarding), disconnecting it, and how orders are delivered.

The account's state is what Stripe says: read when the owner comes back from onboarding and
kept current by ``account.updated`` (``billing.connect_handlers``).
"""

from __future__ import annotations

import stripe
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from billing import connect_accounts
from db.refusals import Refused
from plans.entitlements import plan_of
from tenants import products as product_rules
from tenants import shop as shop_rules
from web.extensions import db
from web.hosts import site_url
from web.refusals import redirect_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import catalog, requires_feature, stripe_unreachable
from worker.services import services


def _unreachable():
    return stripe_unreachable("portal.shop")


def _onboarding_url(found) -> str:
    """A fresh link to Stripe's onboarding; Stripe sends the owner back to the portal."""
    return connect_accounts.onboarding_url(
        services().stripe, found, return_url=url_for("portal.shop_connected", _external=True),
        refresh_url=url_for("portal.shop_onboarding", _external=True))


def _amount(name: str) -> int | None:
    """A euro amount from the form (empty: None), or Refused naming the field."""
    text = (request.form.get(name) or "").strip()
    if not text:
        return None
    try:
        return product_rules.price_cents(text)
    except ValueError as exc:
        raise Refused(exc.args[0], name, 400) from None


@bp.get("/shop")
@requires_feature("webshop")
def shop():
    found = shop_rules.shop_of(db.session, g.tenant.id)
    return render_template(
        "portal/shop.html", shop=found, sells=shop_rules.sells(catalog(), g.tenant, found),
        fee_basis_points=plan_of(catalog(), g.tenant).shop_fee_basis_points,
        countries=shop_rules.COUNTRIES, site=site_url(g.tenant.subdomain))


@bp.post("/shop/connect")
@requires_feature("webshop")
def connect_shop():
    """Create the account once, then send the owner to Stripe's onboarding until it can take
    payments. Connecting again after a disconnect reuses the account."""
    found = shop_rules.ensure_shop(db.session, g.tenant.id, lock=True)
    try:
        if found.stripe_account_id is None:
            account = connect_accounts.create_account(
                services().stripe, g.tenant, current_user.email,
                site_url(g.tenant.subdomain))
            shop_rules.connected(found, account)
        shop_rules.reconnect(found)
        if found.charges_enabled:
            db.session.commit()
            flash(_("Your Stripe account is connected again: the shop takes orders."), "success")
            return redirect(url_for("portal.shop"), code=303)
        url = _onboarding_url(found)
    except stripe.StripeError:
        return _unreachable()
    db.session.commit()
    return redirect(url, code=303)


@bp.get("/shop/onboarding")
@requires_feature("webshop")
def shop_onboarding():
    """Stripe's ``refresh_url``: the link expired or was used; a fresh one."""
    found = shop_rules.shop_of(db.session, g.tenant.id)
    if found is None or found.stripe_account_id is None:
        return redirect(url_for("portal.shop"), code=303)
    try:
        url = _onboarding_url(found)
    except stripe.StripeError:
        return _unreachable()
    return redirect(url, code=303)


@bp.get("/shop/connected")
@requires_feature("webshop")
def shop_connected():
    """Stripe's ``return_url``: what the account can do now, as Stripe says."""
    found = shop_rules.shop_of(db.session, g.tenant.id)
    if found is None or found.stripe_account_id is None:
        return redirect(url_for("portal.shop"), code=303)
    try:
        shop_rules.connected(found, connect_accounts.fetch_account(services().stripe,
                                                                   found.stripe_account_id))
    except stripe.StripeError:
        return _unreachable()
    db.session.commit()
    if found.charges_enabled:
        flash(_("Your Stripe account is connected: the shop takes orders."), "success")
    else:
        flash(_("Stripe is still checking your details. The shop takes orders as soon as Stripe "
                "enables payments; this page shows when."), "info")
    return redirect(url_for("portal.shop"), code=303)


@bp.post("/shop/disconnect")
@requires_feature("webshop")
def disconnect_shop():
    found = shop_rules.shop_of(db.session, g.tenant.id)
    if found is not None and found.stripe_account_id and found.disconnected_at is None:
        shop_rules.disconnect(found)
        db.session.commit()
    flash(_("Your Stripe account is disconnected: the shop takes no new orders. Paid orders stay "
            "here, and you can still ship and refund them."), "info")
    return redirect(url_for("portal.shop"), code=303)


@bp.post("/shop/shipping")
@requires_feature("webshop")
def save_shipping():
    redirect_refusals(url_for("portal.shop"))
    found = shop_rules.ensure_shop(db.session, g.tenant.id, lock=True)
    shop_rules.save_shipping(found, shop_rules.ShippingValues(
        flat_rate_cents=_amount("flat_rate") if request.form.get("ships") else None,
        free_above_cents=_amount("free_above") if request.form.get("ships") else None,
        pickup=bool(request.form.get("pickup")),
        pickup_address=(request.form.get("pickup_address") or "")[:300],
        ship_countries=request.form.getlist("ship_countries")[:40]))
    db.session.commit()
    flash(_("Shipping is saved."), "success")
    return redirect(url_for("portal.shop"), code=303)

