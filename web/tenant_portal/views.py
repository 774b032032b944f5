"""The dashboard: plan, billing state, the site, and usage against the plan's limits."""

from __future__ import annotations

from flask import g, render_template
from sqlalchemy import select

from db.models import Subscription
from plans.entitlements import all_usage
from tenants import contact
from web.api.ratelimit import requests_this_minute
from web.extensions import db
from web.tenant_portal import bp
from web.tenant_portal.context import catalog
from worker.services import services


@bp.get("/")
def dashboard():
    tenant = g.tenant
    subscription = db.session.scalar(
        select(Subscription).where(Subscription.id == tenant.stripe_subscription_id))
    api_requests = requests_this_minute(services().redis, tenant.id,
                                        catalog().plan(tenant.plan_id).limit("api_rpm"))
    return render_template(
        "portal/dashboard.html", tenant=tenant, plan=catalog().plan(tenant.plan_id),
        subscription=subscription, usage=all_usage(db.session, catalog(), tenant, api_requests),
        site_url=services().urls.site(tenant.subdomain),
        unhandled_messages=contact.unhandled_count(db.session, tenant.id))
