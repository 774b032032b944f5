"""POST /webhooks/stripe and /webhooks/stripe/connect: verify, store by event id, commit,
answer fast. No Redis: the insert's commit notifies the dispatcher that enqueues the event
(``worker.event_dispatch``), so a Redis outage never slows or fails the answer.

The Connect endpoint takes the events of the shops' own accounts (each carries ``account``),
signed with its own secret; both go through the same store and the same processing job.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import DataError

from billing import events
from billing.event_shape import MalformedEvent
from billing.signatures import BadWebhook, verify
from web.extensions import csrf, db

bp = Blueprint("webhooks", __name__)


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    return _intake("STRIPE_WEBHOOK_SECRET", connect=False)


@bp.post("/webhooks/stripe/connect")
@csrf.exempt
def stripe_connect_webhook():
    return _intake("STRIPE_CONNECT_WEBHOOK_SECRET", connect=True)


def _intake(secret_setting: str, connect: bool):
    body = request.get_data()
    try:
        event = verify(body, request.headers.get("Stripe-Signature"),
                       current_app.config[secret_setting],
                       current_app.config["STRIPE_WEBHOOK_TOLERANCE"])
    except BadWebhook as exc:
        return jsonify(error=str(exc)), 400
    if bool(event.get("account")) != connect:
        return jsonify(error="a Connect event belongs at /webhooks/stripe/connect" if not connect
                       else "not a Connect event: it names no account"), 400
    session = db.session
    try:
        is_new = events.store(session, event, body.decode("utf-8", errors="replace"))
        session.commit()
    except (MalformedEvent, DataError) as exc:
        session.rollback()  # nothing half-written
        reason = str(exc) if isinstance(exc, MalformedEvent) else "body cannot be stored as JSON"
        return jsonify(error=reason), 400
    return jsonify(received=True, duplicate=not is_new)
