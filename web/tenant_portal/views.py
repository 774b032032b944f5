from __future__ import annotations

from flask import current_app, render_template
from flask_login import current_user, login_required

from db.models import Tenant
from tenants.urls import Urls
from web.extensions import db
from web.tenant_portal import bp


@bp.get("/")
@login_required
def dashboard():
    tenant = db.session.get(Tenant, current_user.tenant_id)
    catalog = current_app.extensions["catalog"]
    return render_template("portal/dashboard.html", tenant=tenant,
                           plan=catalog.plan(tenant.plan_id),
                           site_url=Urls.from_config(current_app.config).site(tenant.subdomain))
