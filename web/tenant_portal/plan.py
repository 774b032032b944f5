"""Changing plan and cancelling in the portal: the amounts and consequences first, then the
owner's (or an admin's) confirmation. The rules are ``billing.plan_changes`` and
``billing.cancellation``. They change Stripe only; the tenant follows Stripe's events (the
portal's database role may not write a plan), as after a change in Stripe's own portal."""

from __future__ import annotations

from collections.abc import Callable

import stripe
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from billing import cancellation, plan_changes
from db.models import Subscription
from web.extensions import db
from web.refusals import redirect_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import catalog, stripe_unreachable
from worker.services import services

# Stripe's cancellation_details.feedback values, in words.
FEEDBACK_LABELS = {
    "too_expensive": _l("It is too expensive"),
    "missing_features": _l("Features I need are missing"),
    "switched_service": _l("I switched to another service"),
    "unused": _l("I don't use it enough"),
    "customer_service": _l("I was unhappy with the support"),
    "too_complex": _l("It is too complicated"),
    "low_quality": _l("The quality was not good enough"),
    "other": _l("Another reason"),
}


@bp.get("/billing/plan")
def plan():
    """Every other plan and interval; with ``?price=<lookup key>``, what that change costs."""
    tenant, chosen = g.tenant, request.args.get("price")
    choices = [(plan, price) for plan in catalog().plans.values() for price in plan.prices.values()
               if (plan.id, price.interval) != (tenant.plan_id, tenant.interval)]
    shown = None
    if chosen:
        redirect_refusals(url_for("portal.plan"))
        try:
            shown = plan_changes.preview(db.session, services().stripe, catalog(), tenant, chosen)
        except stripe.StripeError:
            return stripe_unreachable("portal.billing")
    return render_template("portal/plan.html", tenant=tenant, choices=choices, preview=shown,
                           current=catalog().plan(tenant.plan_id), terms=catalog().billing)


def _changed(change: Callable[[], str | None], back: str, done: str | None = None):
    """Make a change at Stripe; flash ``done`` (or what ``change`` says it did) and show
    billing. A ``Refused`` is answered as the view asked; Stripe unreachable, at ``back``."""
    try:
        said = change()
    except stripe.StripeError:
        return stripe_unreachable(back)
    flash(done or said, "success")
    return redirect(url_for("portal.billing"), code=303)


@bp.post("/billing/plan")
def change_plan():
    chosen = request.form.get("price", "")
    redirect_refusals(url_for("portal.plan", price=chosen) if chosen else url_for("portal.plan"))

    def change() -> str:
        plan, at_once = plan_changes.change(
            services().stripe, catalog(), g.tenant, chosen,
            request.form.get("proration_date", type=int), request.form.get("confirm") == "yes")
        if at_once:
            return _("Your upgrade to %(plan)s is paid. Everything it includes is ready within "
                     "a few seconds.", plan=plan.name)
        return _("Your plan changes to %(plan)s when the current period ends. Until then "
                 "nothing changes.", plan=plan.name)
    return _changed(change, "portal.plan")


@bp.post("/billing/plan/keep")
def keep_plan():
    redirect_refusals(url_for("portal.billing"))
    return _changed(lambda: plan_changes.keep_current_plan(services().stripe, g.tenant),
                    "portal.billing", _("You keep your current plan."))


def _own_subscription() -> Subscription:
    """The form's subscription, which must be this tenant's (another's is a 404)."""
    subscription_id = request.form.get("subscription", "")
    if not subscription_id or subscription_id != g.tenant.stripe_subscription_id:
        abort(404)
    return db.session.get(Subscription, subscription_id)


@bp.get("/billing/cancel")
def cancel():
    subscription = db.session.get(Subscription, g.tenant.stripe_subscription_id or "")
    return render_template("portal/cancel.html", tenant=g.tenant, subscription=subscription,
                           reasons=FEEDBACK_LABELS, offer=None,
                           retention_days=current_app.config["RETENTION_DAYS"])


@bp.post("/billing/cancel")
def confirm_cancel():
    """The reason first; then, once per tenant, the retention offer; then the cancellation."""
    subscription = _own_subscription()
    feedback = request.form.get("feedback", "")
    comment = request.form.get("comment", "").strip()
    redirect_refusals(url_for("portal.cancel"))
    cancellation.require_feedback(feedback)
    if request.form.get("offer") != "declined" and cancellation.may_offer_retention(catalog(), g.tenant):
        return render_template("portal/cancel.html", tenant=g.tenant, subscription=subscription,
                               reasons=FEEDBACK_LABELS, offer=catalog().retention_coupon(),
                               feedback=feedback, comment=comment,
                               retention_days=current_app.config["RETENTION_DAYS"])
    return _changed(
        lambda: cancellation.cancel_at_period_end(services().stripe, g.tenant, feedback, comment),
        "portal.cancel",
        _("Your subscription is cancelled at the end of the period. You can undo that until then."))


@bp.post("/billing/cancel/offer")
def accept_offer():
    _own_subscription()
    redirect_refusals(url_for("portal.billing"))
    return _changed(lambda: cancellation.accept_retention_offer(services().stripe, catalog(), g.tenant),
                    "portal.billing", _("Thank you for staying. The discount is on your next invoices."))


@bp.post("/billing/cancel/undo")
def undo_cancel():
    _own_subscription()
    redirect_refusals(url_for("portal.billing"))
    return _changed(lambda: cancellation.undo(services().stripe, g.tenant), "portal.billing",
                    _("Your subscription continues as before."))
