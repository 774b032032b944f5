"""The tenant's own domains in the portal: add one (an apex and its www come as a pair), see
each one's state and the DNS records to create, check now, choose the main address, remove."""

from __future__ import annotations

import importlib.util
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from redis.exceptions import RedisError
from wtforms import StringField

from db.models import DomainStatus
from tenants import domains as domain_rules
from tenants.domain_routing import invalidate
from web.extensions import db
from web.refusals import show_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import catalog, requires_feature
from worker.queues import MAINTENANCE
from worker.services import services

CHECK_JOB = "worker.jobs.domains.check_domain"
STATUS_WORDS = {
    DomainStatus.PENDING: "Waiting for the DNS records",
    DomainStatus.VERIFIED: "Verified: your site answers here",
    DomainStatus.MISCONFIGURED: "The DNS records are not right yet",
    DomainStatus.LOST: "The DNS records have disappeared",
}


class DomainForm(FlaskForm):
    domain = StringField("Your domain")


def _local(moment: datetime | None, zone: str) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(zone)).strftime("%d %b %Y %H:%M")


def _page(form: DomainForm | None = None):
    tenant, config = g.tenant, current_app.config
    rows = domain_rules.tenant_domains(db.session, tenant.id)
    domains = [{
        "row": row,
        "shown": domain_rules.display(row.name),
        "status": STATUS_WORDS[DomainStatus(row.status)],
        "checked": _local(row.last_checked_at, tenant.time_zone),
        "records": [(record, domain_rules.display(record.name))
                    for record in domain_rules.expected_records(
                        row.name, tenant.id, tenant.subdomain, config["PLATFORM_DOMAIN"],
                        config["PLATFORM_ADDRESSES"], config["SECRET_KEY"])],
    } for row in rows]
    return render_template(
        "portal/domain/index.html", form=form or DomainForm(formdata=None), tenant=tenant,
        domains=domains, primary=next((d for d in domains if d["row"].is_primary), None),
        platform_address=domain_rules.platform_address(tenant.subdomain,
                                                       config["PLATFORM_DOMAIN"]))


def _check_soon(domain_ids: list[int]) -> None:
    """An immediate check by the worker; with Redis down, the verifier's sweep finds them
    (their next_check_at is now)."""
    if importlib.util.find_spec("worker.jobs.domains") is None:
        return
    try:
        for domain_id in domain_ids:
            services().queues[MAINTENANCE].enqueue(CHECK_JOB, domain_id)
    except RedisError:
        current_app.logger.warning("domain check not enqueued (Redis down); the sweep runs it")


def _back():
    return redirect(url_for("portal.domain"), code=303)


def _refusals_on_page(form: DomainForm | None = None) -> DomainForm:
    form = form or DomainForm(formdata=None)
    show_refusals(form, lambda: _page(form))
    return form


@bp.get("/domain")
@requires_feature("custom_domain")
def domain():
    return _page()


@bp.post("/domain")
@requires_feature("custom_domain")
def add_domain():
    form = _refusals_on_page(DomainForm())
    rows = domain_rules.add_domain(db.session, g.tenant, form.domain.data or "",
                                   current_app.config["PLATFORM_DOMAIN"], catalog())
    db.session.commit()
    invalidate(services().redis)
    _check_soon([row.id for row in rows])
    names = " and ".join(domain_rules.display(row.name) for row in rows)
    flash(f"{names} added. Create the DNS records shown below; we check them every minute "
          "for the next hour, then less often.", "info")
    return _back()


@bp.post("/domain/check")
@requires_feature("custom_domain")
def check_domain():
    _refusals_on_page()
    row = domain_rules.check_now(db.session, g.tenant, request.form.get("domain_id"))
    db.session.commit()
    _check_soon([row.id])
    flash(f"We are checking {domain_rules.display(row.name)} now, and every minute for the "
          "next hour.", "info")
    return _back()


@bp.post("/domain/primary")
@requires_feature("custom_domain")
def set_primary_domain():
    _refusals_on_page()
    domain_id = request.form.get("domain_id") or None
    row = domain_rules.set_primary(db.session, g.tenant, domain_id)
    db.session.commit()
    invalidate(services().redis)
    if row is None:
        flash("Your Contyzr address is your site's main address again.", "info")
    else:
        flash(f"{domain_rules.display(row.name)} is now your site's main address; your other "
              "addresses send visitors there.", "info")
    return _back()


@bp.post("/domain/remove")
@requires_feature("custom_domain")
def remove_domain():
    _refusals_on_page()
    name = domain_rules.remove_domain(db.session, g.tenant, request.form.get("domain_id"))
    db.session.commit()
    invalidate(services().redis)
    flash(f"{domain_rules.display(name)} is removed: your site no longer answers there. "
          "Other domains you added stay until you remove them too.", "info")
    return _back()
