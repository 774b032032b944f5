"""What every portal request stands on: the signed-in user's tenant, confined to its rows,
its access under the billing policy, the role matrix (roles.py), and the gates for features
and limits."""

from __future__ import annotations

from functools import wraps

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from db.messages import N_
from db.models import Tenant
from plans.access import Access, access_for
from plans.entitlements import FeatureNotInPlan, LimitReached, OverLimit, Usage, require_feature
from tenants.scope import use_tenant
from web.admin.view_as import staff_view
from web.auth.session_user import SessionUser
from web.extensions import db
from web.i18n import translated
from web.tenant_portal import bp
from web.tenant_portal.roles import REFUSED_MESSAGE, may_open
from worker.services import services

# roles.REFUSED_MESSAGE, marked here for translation (forbidden.html shows it translated).
MARKED = (N_("Only owners and admins can do this. Ask one of them if you need it."),)

# Endpoints a suspended or closed tenant may still post to: paying and subscribing again.
# (and one's own language: a person on hold must still be able to read the portal)
# Also on hold: paying, one's own language, and the buyers of paid orders (shipped, refunded).
ALWAYS_ALLOWED = {"portal.billing_portal", "portal.resubscribe", "portal.save_profile",
                  "portal.ship_order", "portal.refund_order", "portal.cancel_order"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def catalog():
    return services().catalog


@bp.before_request
def load_tenant():
    g.staff_view = staff_view()
    if g.staff_view is not None:  # staff viewing the tenant's portal as its owner: read-only
        g._login_user = SessionUser(g.staff_view.owner)  # this request's current_user only
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    tenant = db.session.get(Tenant, current_user.tenant_id)
    g.tenant = tenant
    g.access = access_for(tenant)
    use_tenant(db.session, tenant.id)
    if g.staff_view is not None and request.method not in SAFE_METHODS:
        return render_template("portal/forbidden.html", message=_(
            "You are viewing this portal as staff: read-only. Nothing was changed.")), 403
    if g.access is Access.NONE:
        return render_template("portal/no_access.html", tenant=tenant), 403
    if not may_open(current_user.role, request.endpoint):
        return render_template("portal/forbidden.html", message=REFUSED_MESSAGE), 403
    if request.method not in SAFE_METHODS and not g.access.may_change_content \
            and request.endpoint not in ALWAYS_ALLOWED:
        if may_open(current_user.role, "portal.billing"):
            flash(_("Your account is read-only until the open invoice is paid. "
                    "Nothing was changed; update your payment details in billing."), "error")
            return redirect(url_for("portal.billing")), 303
        flash(_("Your account is read-only until the open invoice is paid. Nothing was changed; "
                "an owner or admin can update the payment details."), "error")
        return redirect(url_for("portal.dashboard")), 303
    return None


def stripe_unreachable(endpoint: str):
    """Stripe did not answer a change made from the portal: nothing changed; try again."""
    current_app.logger.exception("Stripe failed a change of tenant %s", g.tenant.id)
    db.session.rollback()
    flash(_("Our payment provider could not be reached. Nothing was changed; please try again "
            "in a minute."), "error")
    return redirect(url_for(endpoint), code=303)


def requires_feature(feature: str):
    """The view (GET and POST alike) is part of plans with ``feature`` only."""
    def decorate(view):
        @wraps(view)
        def gated(*args, **kwargs):
            require_feature(catalog(), g.tenant, feature)
            return view(*args, **kwargs)
        return gated
    return decorate


def limit_reached_message(usage: Usage) -> str:
    """plans.entitlements.LimitReached in words, in the active language."""
    num, count = format_decimal(usage.limit or 0), usage.limit or 0
    if usage.name == "pages":
        return ngettext(
            "You have reached your plan's limit of %(limit)s page. Nothing was created. Upgrade "
            "your plan in billing to get more.",
            "You have reached your plan's limit of %(limit)s pages. Nothing was created. Upgrade "
            "your plan in billing to get more.", count, limit=num)
    if usage.name == "products":
        return ngettext(
            "You have reached your plan's limit of %(limit)s product. Nothing was created. "
            "Upgrade your plan in billing to get more.",
            "You have reached your plan's limit of %(limit)s products. Nothing was created. "
            "Upgrade your plan in billing to get more.", count, limit=num)
    if usage.name == "users":
        return ngettext(
            "You have reached your plan's limit of %(limit)s team member. Nothing was created. "
            "Upgrade your plan in billing to get more.",
            "You have reached your plan's limit of %(limit)s team members. Nothing was created. "
            "Upgrade your plan in billing to get more.", count, limit=num)
    if usage.name == "media_mb":
        return _("You have reached your plan's limit of %(limit)s MB of media storage. Nothing was "
                 "created. Upgrade your plan in billing to get more.", limit=num)
    return _("You have reached your plan's limit for %(label)s (%(limit)s). Nothing was created. "
             "Upgrade your plan in billing to get more.", label=translated(usage.label), limit=num)


def over_limit_message(usage: Usage) -> str:
    """plans.entitlements.OverLimit in words, in the active language."""
    num, count = format_decimal(usage.limit or 0), usage.limit or 0
    if usage.name == "pages":
        return ngettext(
            "This is over your plan's limit of %(limit)s page: upgrade to edit or publish it, or "
            "delete pages you no longer need. Nothing was changed.",
            "This is over your plan's limit of %(limit)s pages: upgrade to edit or publish it, or "
            "delete pages you no longer need. Nothing was changed.", count, limit=num)
    if usage.name == "products":
        return ngettext(
            "This is over your plan's limit of %(limit)s product: upgrade to edit it or show it in "
            "your shop, or delete products you no longer need. Nothing was changed.",
            "This is over your plan's limit of %(limit)s products: upgrade to edit it or show it "
            "in your shop, or delete products you no longer need. Nothing was changed.",
            count, limit=num)
    if usage.name == "users":
        return ngettext(
            "This is over your plan's limit of %(limit)s team member: upgrade to change their "
            "role, or remove members you no longer need. Nothing was changed.",
            "This is over your plan's limit of %(limit)s team members: upgrade to change their "
            "role, or remove members you no longer need. Nothing was changed.", count, limit=num)
    if usage.name == "media_mb":
        return _("This is over your plan's limit of %(limit)s MB of media storage: upgrade to show "
                 "it on your site, or delete files you no longer need. Nothing was changed.",
                 limit=num)
    return _("This is over your plan's limit for %(label)s (%(limit)s): upgrade to change it, or "
             "delete what you no longer need. Nothing was changed.",
             label=translated(usage.label), limit=num)


@bp.errorhandler(FeatureNotInPlan)
def feature_not_in_plan(exc: FeatureNotInPlan):
    return render_template("portal/upgrade.html", exc=exc), 403


@bp.errorhandler(LimitReached)
def limit_reached(exc: LimitReached):
    db.session.rollback()
    flash(limit_reached_message(exc.usage), "error")
    return redirect(request.referrer if request.referrer and
                    request.referrer.startswith(request.host_url) else url_for("portal.dashboard"),
                    code=303)


@bp.errorhandler(OverLimit)
def over_limit(exc: OverLimit):
    """A change to an item kept beyond the plan's limit after a downgrade (read-only)."""
    db.session.rollback()
    flash(over_limit_message(exc.usage), "error")
    return redirect(request.referrer if request.referrer and
                    request.referrer.startswith(request.host_url) else url_for("portal.dashboard"),
                    code=303)


@bp.context_processor
def portal_navigation():
    """``may_open(endpoint)``: whether the signed-in member may follow a link to it."""
    def member_may_open(endpoint: str) -> bool:
        return endpoint in current_app.view_functions and may_open(current_user.role, endpoint)
    return {"may_open": member_may_open}
