from __future__ import annotations

from flask import abort, make_response, redirect, render_template, request, url_for
from flask_babel import gettext

from plans.catalog import INTERVALS
from web.pricing import bp
from worker.services import services


def selected_interval() -> str:
    interval = request.args.get("interval", "month")
    if interval not in INTERVALS:
        abort(404, description=gettext("There is no billing interval called '%(interval)s'.",
                                       interval=interval))
    return interval


@bp.get("/")
def home():
    return redirect(url_for("pricing.pricing"))


@bp.get("/pricing")
def pricing():
    catalog = services().catalog
    plan_id = request.args.get("plan")
    if plan_id is not None and catalog.plan(plan_id) is None:
        abort(404, description=gettext("There is no plan called '%(plan)s'. See all plans on "
                                       "this page.", plan=plan_id))
    return render_template(
        "pricing/pricing.html",
        catalog=catalog,
        plans=list(catalog.plans.values()),
        interval=selected_interval(),
        selected=plan_id,
        terms=catalog.billing,
    )


@bp.get("/terms")
def terms():
    return render_template("pricing/terms.html")


@bp.get("/privacy")
def privacy():
    return render_template("pricing/privacy.html")


# The storefront's public pages may be indexed; accounts, sign-in links, the portal and the
# machine routes may not (tenant sites answer their own /robots.txt, see web.public_site.seo).
STOREFRONT_ROBOTS = """User-agent: *
Allow: /pricing
Allow: /terms
Allow: /privacy
Disallow: /portal/
Disallow: /onboarding/
Disallow: /signup
Disallow: /login
Disallow: /signin/
Disallow: /password/
Disallow: /invites/
Disallow: /api/
Disallow: /webhooks/
"""


@bp.get("/robots.txt")
def robots():
    response = make_response(STOREFRONT_ROBOTS)
    response.mimetype = "text/plain"
    return response
