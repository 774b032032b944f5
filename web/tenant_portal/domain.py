"""The tenant's own domains in the portal: add one (an apex and its www come as a pair), see
each one's state and the DNS records to create, check now, choose the main address, remove."""

from __future__ import annotations

import importlib.util

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from redis.exceptions import RedisError
from wtforms import StringField

from db.models import DomainStatus
from tenants import domain_checks
from tenants import domains as domain_rules
from tenants.domain_routing import invalidate
from web.extensions import db
from web.i18n import translated
from web.refusals import show_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import catalog, requires_feature
from worker.queues import MAINTENANCE
from worker.services import services

CHECK_JOB = "worker.jobs.domains.check_domain"
STATUS_WORDS = {
    DomainStatus.PENDING: _l("Waiting for the DNS records"),
    DomainStatus.VERIFIED: _l("Verified: your site answers here"),
    DomainStatus.MISCONFIGURED: _l("The DNS records are not right yet"),
    DomainStatus.LOST: _l("The DNS records have disappeared"),
}


class DomainForm(FlaskForm):
    domain = StringField(_l("Your domain"))


def _detail(detail: str | None) -> str | None:
    """The stored (English) detail of the last check, in the reader's language."""
    if not detail:
        return None
    return " ".join(translated(part) for part in domain_checks.detail_messages(detail))


def _page(form: DomainForm | None = None):
    tenant, config = g.tenant, current_app.config
    rows = domain_rules.tenant_domains(db.session, tenant.id)
    domains = [{
        "row": row,
        "shown": domain_rules.display(row.name),
        "status": STATUS_WORDS[DomainStatus(row.status)],
        # In the request's time zone: the tenant's (web/i18n.py).
        "checked": format_datetime(row.last_checked_at, "short") if row.last_checked_at else None,
        "detail": _detail(row.detail),
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
    shown = [domain_rules.display(row.name) for row in rows]
    if len(shown) == 2:
        flash(_("%(first)s and %(second)s added. Create the DNS records shown below; we check "
                "them every minute for the next hour, then less often.",
                first=shown[0], second=shown[1]), "info")
    else:
        flash(_("%(name)s added. Create the DNS records shown below; we check them every "
                "minute for the next hour, then less often.", name=", ".join(shown)), "info")
    return _back()


@bp.post("/domain/check")
@requires_feature("custom_domain")
def check_domain():
    _refusals_on_page()
    row = domain_rules.check_now(db.session, g.tenant, request.form.get("domain_id"))
    db.session.commit()
    _check_soon([row.id])
    flash(_("We are checking %(name)s now, and every minute for the next hour.",
            name=domain_rules.display(row.name)), "info")
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
        flash(_("Your Contyzr address is your site's main address again."), "info")
    else:
        flash(_("%(name)s is now your site's main address; your other addresses send visitors "
                "there.", name=domain_rules.display(row.name)), "info")
    return _back()


@bp.post("/domain/remove")
@requires_feature("custom_domain")
def remove_domain():
    _refusals_on_page()
    name = domain_rules.remove_domain(db.session, g.tenant, request.form.get("domain_id"))
    db.session.commit()
    invalidate(services().redis)
    flash(_("%(name)s is removed: your site no longer answers there. Other domains you added "
            "stay until you remove them too.", name=domain_rules.display(name)), "info")
    return _back()
