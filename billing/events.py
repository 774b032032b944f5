"""Durable intake of Stripe events: store by id first, process later, never lose one.

Every processing attempt is counted on the stored event, across jobs and sweeps. A failed
attempt schedules the next one with exponential backoff (``next_attempt_at``); after
``max_attempts`` failures, or at once when the event cannot be handled at all, the event is
marked failed (``failed_at``, ``last_error``) and only staff bring it back
(``contyzr events retry``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, and_, or_, select, text, tuple_
from sqlalchemy.orm import Session

from billing.event_shape import check_envelope, customer_of
from db.base import utcnow
from db.models import StripeEvent

# A stored event's id is sent on this channel when its insert commits (a trigger, migration
# 0025); the dispatcher listening there enqueues it (``worker.event_dispatch``).
CHANNEL = "stripe_events"
# A just-received event is enqueued by the dispatcher; the sweep leaves it this long.
SETTLE = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing event is tried, and how long to wait between tries."""

    max_attempts: int = 8
    first_backoff: timedelta = timedelta(seconds=30)

    @classmethod
    def from_config(cls, config) -> RetryPolicy:
        default = cls()
        attempts = config.get("EVENT_MAX_ATTEMPTS") or default.max_attempts
        seconds = config.get("EVENT_RETRY_SECONDS") or default.first_backoff.total_seconds()
        return cls(max_attempts=max(1, attempts), first_backoff=timedelta(seconds=max(1, seconds)))

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failure: doubling, capped at six hours."""
        return min(self.first_backoff * 2 ** max(0, attempts - 1), MAX_BACKOFF)


# One statement, prepared once: the webhook's hot path. The body Stripe signed is stored as
# it came (PostgreSQL parses it to jsonb) instead of being serialised again.
STORE = text("""
    INSERT INTO stripe_events (id, type, customer_id, account, created, payload, attempts)
    VALUES (:id, :type, :customer_id, :account, :created, CAST(:payload AS jsonb), 0)
    ON CONFLICT (id) DO NOTHING
    RETURNING id
""")


def store(session: Session, event: dict, body: str | None = None) -> bool:
    """Insert the event unless its id is known; True when it is new. No commit.

    ``body`` is the event's JSON text as received, when the caller has it. The envelope is
    checked first (``billing.event_shape.MalformedEvent``), so nothing malformed is stored.
    """
    check_envelope(event, body)
    result = session.execute(STORE, {
        "id": event["id"], "type": event["type"], "customer_id": customer_of(event),
        "account": event.get("account"),
        "created": datetime.fromtimestamp(event["created"], UTC),
        "payload": body if body is not None else json.dumps(event)})
    return result.first() is not None


def due(session: Session, now: datetime | None = None, limit: int = 1000,
        settle: timedelta = SETTLE) -> list[str]:
    """Ids of events the sweep should enqueue now, oldest first: never processed, not given up
    on, and either never tried (and older than ``settle``) or past their next attempt time."""
    return list(session.scalars(due_query(now or utcnow(), limit, settle)))


def due_query(now: datetime, limit: int = 1000, settle: timedelta = SETTLE) -> Select:
    """``due``'s selection (through ``ix_stripe_events_due``: events neither processed nor
    given up on)."""
    return (select(StripeEvent.id)
            .where(StripeEvent.processed_at.is_(None), StripeEvent.failed_at.is_(None),
                   or_(StripeEvent.next_attempt_at <= now,
                       and_(StripeEvent.next_attempt_at.is_(None),
                            StripeEvent.received_at <= now - settle)))
            .order_by(StripeEvent.received_at).limit(limit))


def waiting(session: Session, after: tuple[datetime, str] | None = None,
            limit: int = 1000) -> list[tuple[datetime, str]]:
    """(received, id) of stored events never tried yet, oldest first, from after ``after``
    (keyset): what a dispatcher enqueues when it starts listening, in case it missed them."""
    query = (select(StripeEvent.received_at, StripeEvent.id)
             .where(StripeEvent.processed_at.is_(None), StripeEvent.failed_at.is_(None),
                    StripeEvent.attempts == 0)
             .order_by(StripeEvent.received_at, StripeEvent.id).limit(limit))
    if after is not None:
        query = query.where(tuple_(StripeEvent.received_at, StripeEvent.id) > after)
    return [(received, event_id) for received, event_id in session.execute(query)]


def unprocessed(session: Session) -> list[str]:
    """Ids of every stored event neither processed nor given up on, whatever its schedule."""
    return list(session.scalars(
        select(StripeEvent.id)
        .where(StripeEvent.processed_at.is_(None), StripeEvent.failed_at.is_(None))
        .order_by(StripeEvent.received_at).limit(1000)
    ))


def failed(session: Session) -> list[StripeEvent]:
    return list(session.scalars(
        select(StripeEvent).where(StripeEvent.failed_at.is_not(None))
        .order_by(StripeEvent.received_at)
    ))


def record_failure(session: Session, event_id: str, error: str, policy: RetryPolicy,
                   final: bool = False, now: datetime | None = None) -> bool:
    """Count a failed attempt and schedule the next one; True when the event is given up on
    (``final``: it cannot succeed, or the attempts are used up). No commit."""
    event = session.get(StripeEvent, event_id, with_for_update=True, populate_existing=True)
    if event is None or event.processed_at is not None:
        return False
    now = now or utcnow()
    event.attempts += 1
    event.last_error = error.replace("\n", " ")[:2000]
    if final or event.attempts >= policy.max_attempts:
        event.failed_at, event.next_attempt_at = now, None
        return True
    event.next_attempt_at = now + policy.backoff(event.attempts)
    return False


def reset_failure(session: Session, event_id: str) -> bool:
    """Give a failed (or waiting) event a fresh budget of attempts, due now. No commit."""
    event = session.get(StripeEvent, event_id, with_for_update=True, populate_existing=True)
    if event is None or event.processed_at is not None:
        return False
    event.failed_at = event.next_attempt_at = None
    event.attempts = 0
    return True
