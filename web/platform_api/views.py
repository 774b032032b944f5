"""The platform API's endpoints. Each names its audit action and the staff actions that allow
it; each call is audited with its tenant, reason and outcome, refusals too, and answers JSON.

- ``GET /api/platform/tenants``: ``staff.tenant_search`` (q, plan, billing_state, health,
  trial, sort, page, size);
- ``GET /api/platform/tenants/<id>``: the tenant's file (``staff.tenant_file``);
- ``POST /api/platform/tenants/<id>/suspend`` and ``/reactivate`` (manage), ``/retry``
  (repair: its failed provisioning run from the failed step), each with a ``reason`` (a JSON
  object or a form), through ``staff.repairs`` as the back office's buttons;
- ``GET /api/platform/stats``: MRR, ARR, paying, trialing, past due, tenants per plan
  (``staff.revenue``), for revenue or read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from flask import current_app, g, jsonify, request
from redis.exceptions import RedisError
from sqlalchemy import select

from db.base import utcnow
from db.models import ProvisioningRun, Tenant
from db.models.provisioning import RunStatus
from db.refusals import Refused
from staff import repairs, tenant_search
from staff.accounts import MANAGE, READ, REPAIR, REVENUE
from staff.revenue import current_mrr, tenants_per_plan
from staff.tenant_file import open_file
from web.extensions import db
from web.platform_api import bp, shapes
from web.platform_api.access import allowed, error, record
from worker.jobs.mail import deliver_soon
from worker.jobs.provisioning import enqueue_provisioning
from worker.services import services

SEARCH = ("q", "plan", "billing_state", "health", "trial", "sort", "page", "size")
TRIAL = {"": None, "yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}
DEFAULT_SIZE = 50
FIELDS = {"state": "billing_state"}  # the search rule's field names, as the API calls them
# A staff suspension's reason is kept on the tenant after "staff: " (200 characters there).
MAX_REASON = 190


def _refused(name: str, refused: Refused, tenant_id: int | None = None, reason: str = "",
             **details):
    """Nothing of the call is kept; the refusal is audited and answered."""
    db.session.rollback()
    message = str(refused.message)  # the English text (a Message is a str)
    record(name, tenant_id=tenant_id, reason=reason, outcome="refused", problem=message,
           status=refused.status, **details)
    db.session.commit()
    return error(refused.status, message, FIELDS.get(refused.field, refused.field))


# The list

def _number(name: str, default: int) -> int:
    text = (request.args.get(name) or "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise Refused(f"{name} is a whole number from 1.", name, 400)
    return int(text)


@bp.get("/tenants")
@allowed("tenant_list", READ)
def tenants():
    asked = {name: request.args.get(name, "")[:300] for name in SEARCH if request.args.get(name)}
    try:
        trial = (request.args.get("trial") or "").strip().lower()
        if trial not in TRIAL:
            raise Refused("trial is yes or no.", "trial", 400)
        found = tenant_search.search(
            db.session, query=request.args.get("q") or "",
            plan=(request.args.get("plan") or "").strip() or None,
            billing_state=(request.args.get("billing_state") or "").strip() or None,
            health=(request.args.get("health") or "").strip() or None, trial=TRIAL[trial],
            sort=(request.args.get("sort") or "").strip() or tenant_search.NEWEST,
            page=_number("page", 1), size=_number("size", DEFAULT_SIZE),
            catalog=services().catalog)
    except Refused as refused:
        return _refused("tenant_list", refused, query=asked)
    answer = shapes.page(found)
    record("tenant_list", query=asked, total=found.total)
    db.session.commit()
    return jsonify(answer)


# One tenant

@bp.get("/tenants/<int(max=2147483647):tenant_id>")
@allowed("tenant_file", READ)
def tenant(tenant_id: int):
    try:
        found = open_file(db.session, services().catalog, tenant_id)
    except Refused as refused:
        return _refused("tenant_file", refused, tenant_id=tenant_id)
    answer = shapes.tenant_file(found)
    record("tenant_file", tenant_id=tenant_id)
    db.session.commit()
    return jsonify(data=answer)


# Repairs

def _body() -> dict:
    """The call's fields: a JSON object, or a form."""
    if not request.is_json:
        return request.form
    try:
        body = json.loads(request.get_data() or b"null")
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        raise Refused('Send a JSON object, e.g. {"reason": "abuse report #12"}.', status=400)
    return body


def _reason() -> str:
    value = _body().get("reason")
    if value is not None and not isinstance(value, str):
        raise Refused("reason is text.", "reason", 400)
    # Control characters (a NUL cannot be stored) and lone surrogates (JSON's "\ud800", which
    # is no UTF-8) go.
    text = (value or "").encode("utf-8", "replace").decode("utf-8")
    reason = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", text).split())
    if not reason:
        raise Refused("Say why (reason): it goes into the audit log.", "reason", 400)
    if len(reason) > MAX_REASON:
        raise Refused(f"Keep the reason to {MAX_REASON} characters.", "reason", 400)
    return reason


def _follow_up(after: repairs.AfterCommit) -> bool:
    """Enqueue what follows the committed repair; False when Redis was down (the sweeps pick
    the queued mails and runs up once it is back)."""
    the, queued = services(), True
    for key in after.mail_keys:
        queued = deliver_soon(the.queues, key) and queued
    for signup_id in after.provision:
        try:
            enqueue_provisioning(the.queues, signup_id)
        except RedisError:
            current_app.logger.exception("enqueueing provisioning %s; the sweep resumes it",
                                         signup_id)
            queued = False
    return queued


def _repair(name: str, tenant_id: int,
            change: Callable[[Tenant, str], repairs.AfterCommit], status: int = 200):
    """The repair with its reason, audited (a refusal too), then what follows it enqueued."""
    found = db.session.get(Tenant, tenant_id)
    if found is None:
        return _refused(name, Refused("There is no such tenant.", status=404), tenant_id)
    reason = ""
    try:
        reason = _reason()
        after = change(found, reason)
    except Refused as refused:
        return _refused(name, refused, tenant_id, reason)
    record(name, tenant_id=tenant_id, reason=reason, changed=after.said)
    db.session.commit()
    queued = _follow_up(after)
    return jsonify(data={"tenant": shapes.tenant(found), "changed": after.said,
                         "follow_up_queued": queued}), status


def _actor() -> str:
    return g.platform_staff.email[:80]


@bp.post("/tenants/<int(max=2147483647):tenant_id>/suspend")
@allowed("suspend", MANAGE)
def suspend(tenant_id: int):
    return _repair("suspend", tenant_id, lambda found, reason: repairs.suspend(
        db.session, services().urls, found, reason, actor=_actor()))


@bp.post("/tenants/<int(max=2147483647):tenant_id>/reactivate")
@allowed("reactivate", MANAGE)
def reactivate(tenant_id: int):
    return _repair("reactivate", tenant_id, lambda found, reason: repairs.reactivate(
        db.session, services().urls, found, reason, actor=_actor()))


def _retry_failed_run(found: Tenant, _reason: str) -> repairs.AfterCommit:
    run = db.session.scalar(
        select(ProvisioningRun).where(ProvisioningRun.signup_id == found.signup_id)
        .with_for_update().execution_options(populate_existing=True)) \
        if found.signup_id else None
    if run is None or run.status != RunStatus.FAILED:
        raise Refused("The tenant has no failed provisioning run to retry.", status=409)
    after = repairs.retry_provisioning(db.session, services().catalog, run.signup_id)
    after.said.insert(0, f"provisioning run of signup {run.signup_id} queued again")
    return after


@bp.post("/tenants/<int(max=2147483647):tenant_id>/retry")
@allowed("retry_provisioning", REPAIR)
def retry(tenant_id: int):
    return _repair("retry_provisioning", tenant_id, _retry_failed_run, status=202)


# Revenue

@bp.get("/stats")
@allowed("stats", REVENUE, READ)
def stats():
    now, catalog = utcnow(), services().catalog
    answer = shapes.stats(now, catalog.currency, current_mrr(db.session, catalog, now),
                          tenants_per_plan(db.session, catalog, now))
    record("stats")
    db.session.commit()
    return jsonify(data=answer)
