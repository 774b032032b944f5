"""Process one stored event exactly once, serialised per Stripe customer (a Connect event:
per connected account)."""

from __future__ import annotations

import stripe
from sqlalchemy.orm import Session

from billing import connect_handlers
from billing.event_shape import MalformedEvent, object_problem
from billing.handlers import Deps, Outcome, handle
from db.base import utcnow
from db.locks import lock_customer
from db.models import StripeEvent


def is_final(exc: BaseException) -> bool:
    """Errors that the same event will meet again however often it is tried: a body the
    handlers cannot read, or a request Stripe refuses (an unknown id, a bad parameter)."""
    if isinstance(exc, MalformedEvent):
        return True
    return isinstance(exc, stripe.InvalidRequestError) and (exc.http_status or 400) != 429


def process(session: Session, deps: Deps, event_id: str) -> Outcome | None:
    """Apply the event if it was not applied yet. Flushes; the caller commits.

    Returns None when there was nothing to do (unknown, already processed, or given up on
    until staff retry it). Raises ``MalformedEvent`` when its object cannot be handled.
    """
    event = session.get(StripeEvent, event_id)
    if event is None or event.processed_at is not None or event.failed_at is not None:
        return None
    if event.account and event.type in connect_handlers.HANDLED:
        lock_customer(session, event.account)
    elif event.customer_id and not event.account:
        lock_customer(session, event.customer_id)
    # Lock the row (after the customer lock, so the order of locks is always the same).
    event = session.get(StripeEvent, event_id, with_for_update=True, populate_existing=True)
    if event.processed_at is not None or event.failed_at is not None:
        return None
    problem = object_problem(event.payload)
    if problem:
        raise MalformedEvent(problem)
    if event.account:
        outcome = connect_handlers.handle_connect(session, deps, event.payload)
    else:
        outcome = handle(session, deps, event.payload)
    event.attempts += 1
    event.processed_at = utcnow()
    event.next_attempt_at = None
    event.last_error = None
    session.flush()
    return outcome
