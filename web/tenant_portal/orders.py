"""The webshop's orders in the portal: the list (status filter, search, CSV), one order with
its history, and the owner's changes: shipped (with a tracking link), refunded (in part or
in full, through Stripe) and canceled (refunded, stock put back). The rules are
``tenants.orders``; refunds go to Stripe through ``billing.shop_checkout.refund``."""

from __future__ import annotations

import stripe
from flask import current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from billing.shop_checkout import refund
from db.models.shop import OrderStatus
from db.refusals import Refused
from tenants import orders
from tenants import products as product_rules
from web.extensions import db
from web.refusals import redirect_refusals
from web.tenant_portal import bp
from worker.jobs.mail import deliver_soon
from worker.services import services

ORDER_ID = "<int(max=9223372036854775807):order_id>"


@bp.get("/orders")
def orders_list():
    status = request.args.get("status") or None
    query = (request.args.get("q") or "")[:100]
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    found = orders.listing(db.session, g.tenant.id, status, query, page)
    return render_template("portal/orders/list.html", orders=found[:orders.PAGE_SIZE],
                           more=len(found) > orders.PAGE_SIZE, page=page, status=status,
                           query=query, statuses=orders.PLACED)


@bp.get("/orders.csv")
def export_orders():
    response = make_response(orders.export_csv(db.session, g.tenant.id))
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = 'attachment; filename="orders.csv"'
    return response


@bp.get(f"/orders/{ORDER_ID}")
def order(order_id: int):
    found = orders.get(db.session, g.tenant.id, order_id)
    return render_template("portal/orders/detail.html", order=found,
                           items=orders.items(db.session, found),
                           history=orders.history(db.session, found),
                           refundable=orders.refundable(found), OrderStatus=OrderStatus)


def _done(order_id: int, message: str, keys: list[str] = ()):
    db.session.commit()
    for key in keys:
        deliver_soon(services().queues, key)
    flash(message, "success")
    return redirect(url_for("portal.order", order_id=order_id), code=303)


@bp.post(f"/orders/{ORDER_ID}/ship")
def ship_order(order_id: int):
    found = orders.get(db.session, g.tenant.id, order_id, lock=True)  # another's: a 404
    redirect_refusals(url_for("portal.order", order_id=order_id))
    keys = orders.ship(db.session, found, orders.tracking_url(request.form.get("tracking_url")),
                       current_user.email)
    return _done(order_id, _("Order %(number)s is marked shipped; the buyer gets a mail.",
                             number=found.number), keys)


def _refund(order_id: int, cancel: bool):
    found = orders.get(db.session, g.tenant.id, order_id, lock=True)  # another's: a 404
    redirect_refusals(url_for("portal.order", order_id=order_id))
    cents = None
    if not cancel and (request.form.get("amount") or "").strip():
        try:
            cents = product_rules.price_cents(request.form["amount"])
        except ValueError as exc:
            raise Refused(exc.args[0], "amount", 400) from None
    if cancel:
        orders.require(found, OrderStatus.PAID)
    amount = orders.refund_amount(found, cents) if orders.refundable(found) else 0
    reason = (request.form.get("reason") or "").strip()[:500]
    refund_id = None
    if amount:
        try:
            refund_id = refund(services().stripe, found, amount,
                               key=f"order-{found.id}-refund-{found.refunded_cents}-{amount}")
        except stripe.StripeError as exc:
            current_app.logger.warning("refund of order %s refused: %s", found.id, exc)
            db.session.rollback()
            flash(_("Stripe did not make the refund: %(reason)s Nothing was changed.",
                    reason=getattr(exc, "user_message", None) or _("it could not be reached.")),
                  "error")
            return redirect(url_for("portal.order", order_id=order_id), code=303)
    if cancel:
        orders.canceled(db.session, found, amount, refund_id, current_user.email, reason)
        return _done(order_id, _("Order %(number)s is canceled and refunded.",
                                 number=found.number))
    orders.refunded(db.session, found, amount, refund_id, current_user.email, reason)
    return _done(order_id, _("The refund is made."))


@bp.post(f"/orders/{ORDER_ID}/refund")
def refund_order(order_id: int):
    return _refund(order_id, cancel=False)


@bp.post(f"/orders/{ORDER_ID}/cancel")
def cancel_order(order_id: int):
    return _refund(order_id, cancel=True)
