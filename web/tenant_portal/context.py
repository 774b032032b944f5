"""What every portal request stands on: the signed-in user's tenant, confined to its rows,
its access under the billing policy, the role matrix (roles.py), and the gates for features
and limits."""

from __future__ import annotations

from functools import wraps

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from db.models import Tenant
from plans.access import Access, access_for
from plans.entitlements import FeatureNotInPlan, LimitReached, OverLimit, require_feature
from tenants.scope import use_tenant
from web.extensions import db
from web.tenant_portal import bp
from web.tenant_portal.roles import REFUSED_MESSAGE, may_open
from worker.services import services

# Endpoints a suspended or closed tenant may still post to: paying and subscribing again.
ALWAYS_ALLOWED = {"portal.billing_portal", "portal.resubscribe"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def catalog():
    return services().catalog


@bp.before_request
def load_tenant():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    tenant = db.session.get(Tenant, current_user.tenant_id)
    g.tenant = tenant
    g.access = access_for(tenant)
    use_tenant(db.session, tenant.id)
    if g.access is Access.NONE:
        return render_template("portal/no_access.html", tenant=tenant), 403
    if not may_open(current_user.role, request.endpoint):
        return render_template("portal/forbidden.html", message=REFUSED_MESSAGE), 403
    if request.method not in SAFE_METHODS and not g.access.may_change_content \
            and request.endpoint not in ALWAYS_ALLOWED:
        if may_open(current_user.role, "portal.billing"):
            flash("Your account is read-only until the open invoice is paid. "
                  "Nothing was changed; update your payment details in billing.", "error")
            return redirect(url_for("portal.billing")), 303
        flash("Your account is read-only until the open invoice is paid. Nothing was changed; "
              "an owner or admin can update the payment details.", "error")
        return redirect(url_for("portal.dashboard")), 303
    return None


def requires_feature(feature: str):
    """The view (GET and POST alike) is part of plans with ``feature`` only."""
    def decorate(view):
        @wraps(view)
        def gated(*args, **kwargs):
            require_feature(catalog(), g.tenant, feature)
            return view(*args, **kwargs)
        return gated
    return decorate


@bp.errorhandler(FeatureNotInPlan)
def feature_not_in_plan(exc: FeatureNotInPlan):
    return render_template("portal/upgrade.html", exc=exc), 403


@bp.errorhandler(LimitReached)
def limit_reached(exc: LimitReached):
    db.session.rollback()
    flash(f"{exc} Nothing was created. Upgrade your plan in billing to get more.", "error")
    return redirect(request.referrer if request.referrer and
                    request.referrer.startswith(request.host_url) else url_for("portal.dashboard"),
                    code=303)


@bp.errorhandler(OverLimit)
def over_limit(exc: OverLimit):
    """A change to an item kept beyond the plan's limit after a downgrade (read-only)."""
    db.session.rollback()
    flash(str(exc), "error")
    return redirect(request.referrer if request.referrer and
                    request.referrer.startswith(request.host_url) else url_for("portal.dashboard"),
                    code=303)


@bp.context_processor
def portal_navigation():
    """``may_open(endpoint)``: whether the signed-in member may follow a link to it."""
    def member_may_open(endpoint: str) -> bool:
        return endpoint in current_app.view_functions and may_open(current_user.role, endpoint)
    return {"may_open": member_may_open}
