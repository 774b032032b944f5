"""The dashboard: plan, billing state, the site, the getting-started checklist while it has
steps left, and usage against the plan's limits."""

from __future__ import annotations

from flask import current_app, g, render_template, url_for
from sqlalchemy import select

from db.models import Subscription
from monitoring import uptime
from plans.entitlements import all_usage
from tenants import contact
from tenants.checklist import Step, getting_started
from web.api.ratelimit import requests_this_minute
from web.extensions import db
from web.tenant_portal import bp
from web.tenant_portal.context import catalog
from worker.services import services


def _step_link(step: Step, site_url: str) -> str:
    """Where a checklist step is done: a page of the site, or a portal page (by its path while
    its view does not exist)."""
    if step.site_path is not None:
        return site_url + step.site_path.lstrip("/")
    if step.endpoint in current_app.view_functions:
        return url_for(step.endpoint, **step.args)
    return "/portal/" + step.endpoint.removeprefix("portal.")


@bp.get("/")
def dashboard():
    tenant = g.tenant
    subscription = db.session.scalar(
        select(Subscription).where(Subscription.id == tenant.stripe_subscription_id))
    api_requests = requests_this_minute(services().redis, tenant.id,
                                        catalog().plan(tenant.plan_id).limit("api_rpm"))
    site_url = services().urls.site(tenant.subdomain)
    checklist = getting_started(db.session, catalog(), tenant)
    return render_template(
        "portal/dashboard.html", tenant=tenant, plan=catalog().plan(tenant.plan_id),
        subscription=subscription, usage=all_usage(db.session, catalog(), tenant, api_requests),
        site_url=site_url, checklist=checklist,
        step_links={step.key: _step_link(step, site_url) for step in checklist.steps},
        unhandled_messages=contact.unhandled_count(db.session, tenant.id),
        site_health=uptime.summary(db.session, tenant.id))
