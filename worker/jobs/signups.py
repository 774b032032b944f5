"""The periodic job that ends unpaid reservations (the rule is in ``billing.reservations``)."""

from __future__ import annotations

import logging

import stripe

from billing import reservations
from tenants.signups import due_to_expire
from worker.context import job_session
from worker.services import services

log = logging.getLogger(__name__)


def expire_unpaid_signups() -> int:
    """Expire every unpaid signup whose reservation ended; return how many."""
    client, expired = services().stripe, 0
    with job_session() as session:
        for signup_id in due_to_expire(session):
            try:
                expired += reservations.expire_if_due(session, client, signup_id)
                session.commit()
            except stripe.StripeError as exc:  # tried again on the next run
                session.rollback()
                log.warning("could not expire the Checkout of signup %s: %s", signup_id, exc)
    return expired
