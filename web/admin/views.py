"""The back office's pages: the overview and the audit log (``/admin/audit``)."""

from __future__ import annotations

from flask import g, render_template, request
from sqlalchemy import func, select

from db.base import utcnow
from db.models import Tenant
from monitoring import uptime
from staff import audit
from staff import revenue as revenue_figures
from staff.accounts import READ, REVENUE, may
from web.admin import bp, charts
from web.admin.session import requires
from web.extensions import db
from worker.services import services


@bp.get("/")
def overview():
    """Where every staff member lands; what it shows depends on the role."""
    reads = may(g.staff, READ)
    states = dict(db.session.execute(select(Tenant.billing_state, func.count())
                                     .group_by(Tenant.billing_state)).all()) if reads else {}
    health = uptime.status_counts(db.session) if reads else {}
    return render_template("admin/overview.html", states=states, health=health)


@bp.get("/revenue")
@requires(REVENUE)
def revenue():
    """MRR and its movements, churn, signups, trials, ARPA and LTV (``staff.revenue``)."""
    figures = revenue_figures.dashboard(db.session, services().catalog, utcnow())
    return render_template("admin/revenue.html", d=figures, charts=charts)


@bp.get("/audit")
@requires(READ)
def audit_log():
    before = request.args.get("before", type=int)
    tenant = request.args.get("tenant", type=int)
    found = audit.entries(db.session, tenant_id=tenant, before_id=before)
    return render_template("admin/audit.html", entries=found, tenant=tenant,
                           older=found[-1].id if len(found) == audit.PAGE_SIZE else None)
