"""Durable intake of Stripe events: store by id first, process later, never lose one."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import StripeEvent


def customer_of(event: dict) -> str | None:
    obj = event.get("data", {}).get("object", {})
    if obj.get("object") == "customer":
        return obj.get("id")
    customer = obj.get("customer")
    if isinstance(customer, dict):
        return customer.get("id")
    return customer


# One statement, prepared once: the webhook's hot path. The body Stripe signed is stored as
# it came (PostgreSQL parses it to jsonb) instead of being serialised again.
STORE = text("""
    INSERT INTO stripe_events (id, type, customer_id, created, payload, attempts)
    VALUES (:id, :type, :customer_id, :created, CAST(:payload AS jsonb), 0)
    ON CONFLICT (id) DO NOTHING
    RETURNING id
""")


def store(session: Session, event: dict, body: str | None = None) -> bool:
    """Insert the event unless its id is known; True when it is new. No commit.

    ``body`` is the event's JSON text as received, when the caller has it.
    """
    created = datetime.fromtimestamp(int(event.get("created") or 0), UTC)
    result = session.execute(STORE, {
        "id": event["id"], "type": str(event["type"])[:80], "customer_id": customer_of(event),
        "created": created, "payload": body if body is not None else json.dumps(event)})
    return result.first() is not None


def unprocessed(session: Session, older_than: timedelta = timedelta(seconds=0)) -> list[str]:
    """Ids of stored events never processed (and not given up on), oldest first."""
    cutoff = utcnow() - older_than
    return list(session.scalars(
        select(StripeEvent.id)
        .where(StripeEvent.processed_at.is_(None), StripeEvent.failed_at.is_(None),
               StripeEvent.received_at <= cutoff)
        .order_by(StripeEvent.received_at).limit(1000)
    ))


def failed(session: Session) -> list[StripeEvent]:
    return list(session.scalars(
        select(StripeEvent).where(StripeEvent.failed_at.is_not(None))
        .order_by(StripeEvent.received_at)
    ))


def record_failure(session: Session, event_id: str, error: str, final: bool) -> None:
    event = session.get(StripeEvent, event_id)
    if event is None or event.processed_at is not None:
        return
    event.attempts += 1
    event.last_error = error[:2000]
    if final:
        event.failed_at = utcnow()


def reset_failure(session: Session, event_id: str) -> bool:
    event = session.get(StripeEvent, event_id)
    if event is None or event.processed_at is not None:
        return False
    event.failed_at = None
    return True
