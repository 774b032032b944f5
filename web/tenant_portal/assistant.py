"""The AI writing assistant (Enterprise): ``/portal/assistant`` and its proposals, streamed.

``POST /portal/assistant/propose`` answers ``text/event-stream``: ``data`` events with the
answer's pieces, then ``done`` (the request's id and the whole answer as sanitised HTML for
the preview) or ``error`` (one clear message). Before anything streams, a request that may not
be made gets JSON and a 4xx: 400 (an empty or oversized brief), 403 (not in the plan, with the
way up), 429 (this month's requests used), 503 (no provider configured). The assistant only
proposes: nothing here saves or publishes anything.
"""

from __future__ import annotations

import json

from flask import Response, current_app, g, jsonify, render_template, request, stream_with_context, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from db.languages import LANGUAGE_NAMES
from db.models import AssistantRequest
from db.models.assistant import AssistantAction
from plans.entitlements import FeatureNotInPlan, LimitReached, may_use, usage
from tenants.assistant import prompts, provider, requests
from tenants.assistant.prompts import BadBrief, SiteContext
from tenants.assistant.provider import Answer, ProviderFailed
from tenants.assistant.settings import AssistantSettings
from tenants.markdown import render as render_markdown
from tenants.scope import use_tenant
from web.extensions import db
from web.tenant_portal import bp
from web.tenant_portal.context import catalog, limit_reached_message


def failure_message(kind: str) -> str:
    return {
        provider.TIMEOUT: _("The assistant took too long to answer. Nothing was changed; try "
                            "again in a moment."),
        provider.BUSY: _("The assistant is busy right now. Nothing was changed; try again in a "
                         "minute."),
        provider.UNREACHABLE: _("The assistant cannot be reached right now. Nothing was changed; "
                                "try again later."),
        provider.BROKEN: _("The assistant's answer broke off. Nothing was changed; try again."),
    }.get(kind, _("The assistant could not answer. Nothing was changed; try again later."))


def bad_brief_message(exc: BadBrief) -> str:
    if exc.kind == "too_long":
        return _("The text is longer than %(limit)s characters. Nothing was sent.",
                 limit=format_decimal(exc.limit))
    return {"style": _("Choose how to rewrite the text."),
            "target": _("Choose the language to translate into."),
            "fields": _("The texts to translate could not be read. Reload the page and try "
                        "again. Nothing was sent.")}.get(
        exc.kind, _("Write a brief or paste a text first. Nothing was sent."))


def _settings() -> AssistantSettings:
    return AssistantSettings.from_config(current_app.config)


@bp.get("/assistant")
def assistant():
    tenant = g.tenant
    return render_template(
        "portal/assistant.html", configured=_settings().configured,
        allowed=may_use(catalog(), tenant, "ai"),
        meter=usage(db.session, catalog(), tenant, "ai_requests"),
        languages=[(code, LANGUAGE_NAMES[code]) for code in tenant.languages],
        rewrites=prompts.REWRITES)


def _refused(status: int, message: str, **more):
    db.session.rollback()
    return jsonify(error=message, **more), status


@bp.post("/assistant/propose")
def propose():
    tenant, form, settings = g.tenant, request.form, _settings()
    try:
        action = AssistantAction(form.get("action", ""))
    except ValueError:
        return _refused(400, _("Choose what the assistant should do."))
    if not settings.configured:
        return _refused(503, _("The AI writing assistant is not configured on this platform."))
    # a page's texts translated together (the translation screen): {input name: original}
    together = action is AssistantAction.TRANSLATE and "fields" in form
    try:
        fields = prompts.read_fields(form["fields"]) if together else None
        messages = prompts.messages(action, SiteContext.of(tenant), form.get("text", ""),
                                    style=form.get("style"),
                                    target=prompts.target_language(tenant, form.get("target")),
                                    fields=fields)
        record = requests.begin(db.session, catalog(), tenant, current_user.user_id, action,
                                settings.model)
    except BadBrief as exc:
        return _refused(400, bad_brief_message(exc))
    except FeatureNotInPlan as exc:
        return _refused(403, _("The AI writing assistant is part of %(plans)s.",
                               plans=", ".join(plan.name for plan in exc.plans)),
                        upgrade_url=url_for("portal.plan"))
    except LimitReached as exc:
        return _refused(429, limit_reached_message(exc.usage))
    db.session.commit()  # counted before the provider is asked
    return Response(stream_with_context(_events(settings, messages, tenant.id, record.id,
                                                prompts.sent_names(fields) if together else None)),
                    mimetype="text/event-stream", headers={"Cache-Control": "no-store",
                                                           "X-Accel-Buffering": "no"})


def _event(data: dict, name: str | None = None) -> str:
    return (f"event: {name}\n" if name else "") + f"data: {json.dumps(data)}\n\n"


def _events(settings: AssistantSettings, messages: list[dict], tenant_id: int, request_id: int,
            names: list[str] | None = None):
    """The stream; the request's row is written again afterwards in a session of its own
    (the view's may be gone by then), confined to the tenant like the view's. With ``names``
    (texts translated together) the answer is read back by name, and an answer where none can
    be read counts as broken off."""
    answer, fields = Answer(), None
    longer = {"max_tokens": prompts.FIELDS_TOKENS} if names is not None else {}
    try:
        for piece in provider.stream(settings, messages, answer, **longer):
            yield _event({"text": piece})
        if names is not None:
            fields = prompts.parse_fields(answer.text, names)
            if not fields:
                raise ProviderFailed(provider.BROKEN, "no text could be read back by name")
        failure = None
    except ProviderFailed as exc:
        current_app.logger.warning("assistant request %s failed: %s", request_id, exc)
        failure = exc
    with db.sessionmaker() as session:
        use_tenant(session, tenant_id)
        record = session.get(AssistantRequest, request_id)
        if failure is None:
            requests.finish(session, record, answer)
        else:
            requests.fail(session, record, str(failure), answer)
        session.commit()
    if failure is not None:
        yield _event({"message": failure_message(failure.kind)}, "error")
    else:
        done = {"request": request_id, "text": answer.text, "html": str(render_markdown(answer.text))}
        if fields is not None:
            done["fields"] = fields
        yield _event(done, "done")
