"""One tenant in the back office (``/admin/tenants/<id>``), the repairs made from it, each
with a reason and an audit entry, and the list of what needs a human (``/admin/attention``).
The rules are ``staff.repairs``, the same the ``contyzr`` commands call."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from billing import events as stored_events
from db.messages import N_
from db.models import Tenant
from db.models.provisioning import RunStatus
from db.models.tenants import BillingState
from db.refusals import Refused
from emails import outbox
from monitoring import uptime
from staff import audit, repairs
from staff.accounts import MANAGE, READ, REPAIR
from staff.tenant_file import open_file, tenant_or_404
from tenants.assistant.requests import month_cost
from tenants.assistant.settings import AssistantSettings
from tenants.provisioning_repair import runs_for_staff
from tenants.retention import export_archive
from web.admin import bp
from web.admin.session import requires
from web.extensions import db
from web.i18n import translated
from web.refusals import redirect_refusals
from worker.jobs.billing import enqueue_event
from worker.jobs.mail import deliver_soon
from worker.jobs.provisioning import enqueue_provisioning
from worker.services import services


@bp.get("/tenants/<int(max=2147483647):tenant_id>")
@requires(READ)
def tenant(tenant_id: int):
    file = open_file(db.session, services().catalog, tenant_id)
    return render_template("admin/tenant.html", coupons=services().catalog.coupons, file=file,
                           site_health=uptime.summary(db.session, tenant_id),
                           assistant=month_cost(db.session, tenant_id),
                           assistant_configured=AssistantSettings.from_config(current_app.config).configured,
                           site_checks=uptime.recent_checks(db.session, tenant_id))


@bp.get("/attention")
@requires(READ)
def attention():
    """Everything that waits for a person: failed runs, events and mails; tenants past due."""
    return render_template(
        "admin/attention.html", runs=runs_for_staff(db.session, RunStatus.FAILED),
        failed_events=stored_events.failed(db.session), failed_mails=outbox.failed(db.session),
        past_due=db.session.query(Tenant).filter(Tenant.billing_state == BillingState.PAST_DUE)
        .order_by(Tenant.id).limit(200).all())


def _reason() -> str:
    reason = " ".join((request.form.get("reason") or "").split())[:500]
    if not reason:
        raise Refused(N_("Say why: the reason goes into the audit log."), "reason", 400)
    return reason


def _repair(action: str, back: str, change: Callable[[str], repairs.AfterCommit],
            tenant_id: int | None = None, **details) -> object:
    """Make the repair with its reason; audit it (a refusal too); enqueue what follows."""
    redirect_refusals(back)
    try:
        reason = _reason()
        after = change(reason)
    except Refused as refused:
        db.session.rollback()
        audit.record(db.session, g.staff, action, tenant_id=tenant_id, outcome="refused",
                     problem=str(translated(refused.message)), **details)
        db.session.commit()
        raise
    audit.record(db.session, g.staff, action, tenant_id=tenant_id, reason=reason,
                 changed=after.said, **details)
    db.session.commit()
    the = services()
    for key in after.mail_keys:
        deliver_soon(the.queues, key)
    for signup_id in after.provision:
        enqueue_provisioning(the.queues, signup_id)
    for event_id in after.events:
        enqueue_event(the.queues, event_id)
    flash(_("Done: %(action)s.", action=action.replace("_", " ")), "success")
    return redirect(back, code=303)


def _tenant_repair(tenant_id: int, action: str, change) -> object:
    found = tenant_or_404(db.session, tenant_id)  # an unknown tenant: a 404, nothing audited
    return _repair(action, url_for("admin.tenant", tenant_id=tenant_id),
                   lambda reason: change(found, reason), tenant_id=tenant_id)


@bp.post("/tenants/<int(max=2147483647):tenant_id>/suspend")
@requires(MANAGE)
def suspend(tenant_id: int):
    return _tenant_repair(tenant_id, "suspend", lambda tenant, reason: repairs.suspend(
        db.session, services().urls, tenant, reason, actor=g.staff.email))


@bp.post("/tenants/<int(max=2147483647):tenant_id>/reactivate")
@requires(MANAGE)
def reactivate(tenant_id: int):
    return _tenant_repair(tenant_id, "reactivate", lambda tenant, reason: repairs.reactivate(
        db.session, services().urls, tenant, reason, actor=g.staff.email))


@bp.post("/tenants/<int(max=2147483647):tenant_id>/welcome")
@requires(REPAIR)
def resend_welcome(tenant_id: int):
    return _tenant_repair(tenant_id, "resend_welcome",
                          lambda tenant, reason: repairs.resend_welcome(db.session, tenant))


@bp.post("/provisioning/<signup_id>/retry")
@requires(REPAIR)
def retry_provisioning(signup_id: str):
    back = request.form.get("back") or ""
    target = back if back.startswith("/admin/") and not back.startswith("//") \
        else url_for("admin.attention")
    tenant_id = request.form.get("tenant_id", type=int)
    return _repair("retry_provisioning", target, lambda reason: repairs.retry_provisioning(
        db.session, services().catalog, signup_id[:36]), tenant_id=tenant_id,
        signup=signup_id[:36])


@bp.post("/events/<event_id>/reprocess")
@requires(REPAIR)
def reprocess_event(event_id: str):
    return _repair("reprocess_event", url_for("admin.attention"),
                   lambda reason: repairs.reprocess_event(db.session, event_id[:255]),
                   event=event_id[:255])


@bp.post("/tenants/<int(max=2147483647):tenant_id>/grace")
@requires(REPAIR)
def extend_grace(tenant_id: int):
    days = request.form.get("days", type=int) or 0
    return _tenant_repair(tenant_id, "extend_grace", lambda tenant, reason: repairs.extend_grace(
        db.session, tenant, days, reason, actor=g.staff.email))


@bp.post("/tenants/<int(max=2147483647):tenant_id>/discount")
@requires(MANAGE)
def give_discount(tenant_id: int):
    coupon = (request.form.get("coupon") or "")[:80]
    return _tenant_repair(tenant_id, "give_discount", lambda tenant, reason: repairs.give_discount(
        services().stripe, services().catalog, tenant, coupon))


@bp.post("/tenants/<int(max=2147483647):tenant_id>/delete")
@requires(MANAGE)
def close_and_delete(tenant_id: int):
    confirmation = (request.form.get("confirmation") or "")[:80]
    return _tenant_repair(tenant_id, "close_and_delete", lambda tenant, reason:
                          repairs.close_and_delete(db.session, services().stripe,
                                                   services().media, tenant, confirmation,
                                                   reason))


@bp.post("/tenants/<int(max=2147483647):tenant_id>/export")
@requires(MANAGE)
def export(tenant_id: int):
    """The tenant's pages, posts, products and media as a zip, audited with its reason."""
    found = tenant_or_404(db.session, tenant_id)
    redirect_refusals(url_for("admin.tenant", tenant_id=tenant_id))
    reason = _reason()
    archive = export_archive(db.session, found, services().media)
    audit.record(db.session, g.staff, "export", tenant_id=found.id, reason=reason,
                 size=len(archive))
    db.session.commit()
    return Response(archive, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{found.subdomain}-export.zip"'})
