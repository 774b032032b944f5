"""The periodic job that ends unpaid reservations (the rule is in ``billing.reservations``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import stripe

from billing import reservations
from db.base import utcnow
from db.models import Signup
from tenants.signups import expiring
from worker.context import job_session
from worker.services import services

log = logging.getLogger(__name__)


BATCH = 200  # signups per selection
BATCHES = 5  # selections per run at most: the rest waits for the next run


def _due(session, now) -> Iterator[str]:
    """The due signups, batch after batch (keyset: one Stripe could not expire is not met
    again in this run)."""
    after = None
    for _ in range(BATCHES):
        rows = session.execute(expiring(now, BATCH, after).add_columns(Signup.expires_at)).all()
        session.commit()
        yield from (signup_id for signup_id, _ in rows)
        if len(rows) < BATCH:
            return
        after = (rows[-1][1], rows[-1][0])


def expire_unpaid_signups() -> int:
    """Expire the unpaid signups whose reservation ended (bounded batches); return how many.
    Several workers at once: ``expire_if_due`` re-reads each signup locked."""
    client, expired = services().stripe, 0
    with job_session() as session:
        for signup_id in _due(session, utcnow()):
            try:
                expired += reservations.expire_if_due(session, client, signup_id)
                session.commit()
            except stripe.StripeError as exc:  # tried again on the next run
                session.rollback()
                log.warning("could not expire the Checkout of signup %s: %s", signup_id, exc)
    return expired
