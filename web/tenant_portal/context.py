"""What every portal request stands on: the signed-in user's tenant, confined to its rows,
its access under the billing policy, and the gates for features, roles and limits."""

from __future__ import annotations

from functools import wraps

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from billing.access import Access, access_for
from billing.entitlements import FeatureNotInPlan, LimitReached, require_feature
from db.models import Tenant
from tenants.scope import use_tenant
from web.extensions import db
from web.tenant_portal import bp

# Endpoints a suspended or closed tenant may still post to: paying and subscribing again.
ALWAYS_ALLOWED = {"portal.billing_portal", "portal.resubscribe"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def catalog():
    return current_app.extensions["catalog"]


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
    if request.method not in SAFE_METHODS and not g.access.may_change_content \
            and request.endpoint not in ALWAYS_ALLOWED:
        flash("Your account is read-only until the open invoice is paid. "
              "Nothing was changed; update your payment details in billing.", "error")
        return redirect(url_for("portal.billing")), 303
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


def managers_only(view):
    """Billing, team and API keys are for owners and admins."""
    @wraps(view)
    def gated(*args, **kwargs):
        if not current_user.manages_account:
            return render_template("portal/forbidden.html",
                                   message="Only owners and admins can do this."), 403
        return view(*args, **kwargs)
    return gated


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


@bp.context_processor
def portal_navigation():
    return {"portal_endpoints": current_app.view_functions.keys()}
