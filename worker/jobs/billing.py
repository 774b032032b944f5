"""Jobs for Stripe events: process one, and sweep the ones that never reached a worker."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from rq import get_current_job

from billing import events, processing
from billing.handlers import Deps
from tenants.urls import Urls
from worker.context import job_session, queues
from worker.queues import BILLING, Queues, retry_policy


def enqueue_event(queue_set: Queues, event_id: str) -> None:
    queue_set[BILLING].enqueue(
        process_event, event_id, job_id=f"stripe-event-{event_id}",
        retry=retry_policy(current_app.config), failure_ttl=7 * 86400,
    )


def billing_deps() -> Deps:
    app = current_app
    return Deps(client=app.extensions["stripe"], catalog=app.extensions["catalog"],
                urls=Urls.from_config(app.config))


def process_event(event_id: str) -> None:
    with job_session() as session:
        try:
            outcome = processing.process(session, billing_deps(), event_id)
            session.commit()
        except Exception as exc:
            session.rollback()
            job = get_current_job()
            final = job is None or not job.retries_left
            events.record_failure(session, event_id, f"{type(exc).__name__}: {exc}", final)
            session.commit()
            raise
    if outcome is not None:
        from worker.jobs.mail import enqueue_delivery
        from worker.jobs.provisioning import enqueue_provisioning

        for signup_id in outcome.provision:
            enqueue_provisioning(queues(), signup_id)
        for key in outcome.mail_keys:
            enqueue_delivery(queues(), key)


def sweep_events() -> int:
    """Enqueue stored events that were never processed (Redis was down, a worker died)."""
    with job_session() as session:
        stale = events.unprocessed(session, older_than=timedelta(seconds=30))
    for event_id in stale:
        enqueue_event(queues(), event_id)
    return len(stale)
