"""Jobs for Stripe events: process one, and sweep the ones that are due (again).

The stored event, not rq, keeps the retry schedule: a job makes one attempt; a failure is
counted on the event and sets its next attempt time (exponential backoff); the sweep enqueues
events whose time has come, and none after they are marked failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from flask import current_app

from billing import events, processing
from billing.handlers import Deps
from monitoring import metrics
from worker.context import job_session, queues
from worker.queues import BILLING, Queues
from worker.services import services


def enqueue_events(queue_set: Queues, event_ids: Iterable[str]) -> None:
    """One processing job per event (its id names the job), all in one pipelined round trip."""
    queue = queue_set[BILLING]
    queue.enqueue_many([queue.prepare_data(process_event, (event_id,),
                                           job_id=f"stripe-event-{event_id}",
                                           failure_ttl=7 * 86400)
                        for event_id in event_ids])


def enqueue_event(queue_set: Queues, event_id: str) -> None:
    enqueue_events(queue_set, [event_id])


def billing_deps() -> Deps:
    found = services()
    return Deps(client=found.stripe, catalog=found.catalog, urls=found.urls)


def process_event(event_id: str) -> str:
    """One attempt. A failure is recorded on the event (never lost, never a crash loop):
    retried by the sweep after its backoff, or marked failed with the reason."""
    with job_session() as session:
        try:
            outcome = processing.process(session, billing_deps(), event_id)
            session.commit()
            metrics.observe_event_processed(session, event_id)
        except Exception as exc:  # noqa: BLE001 (recorded on the event, shown to staff)
            session.rollback()
            reason = f"{type(exc).__name__}: {exc}"
            given_up = events.record_failure(
                session, event_id, reason, events.RetryPolicy.from_config(current_app.config),
                final=processing.is_final(exc))
            session.commit()
            log = current_app.logger.error if given_up else current_app.logger.warning
            log("stripe event %s %s: %s", event_id,
                "failed for good" if given_up else "failed, will be retried", reason,
                exc_info=not processing.is_final(exc))
            return "failed" if given_up else "retry later"
    if outcome is None:
        return "nothing to do"
    from worker.jobs.mail import enqueue_delivery
    from worker.jobs.provisioning import enqueue_provisioning

    for signup_id in outcome.provision:
        enqueue_provisioning(queues(), signup_id)
    for key in outcome.mail_keys:
        enqueue_delivery(queues(), key)
    return "processed"


def sweep_events() -> int:
    """Enqueue stored events that are due: never reached a worker (Redis was down, a worker
    died), or failed before and their backoff has passed."""
    with job_session() as session:
        settle = current_app.config.get("EVENT_SETTLE_SECONDS")
        pending = events.due(session, settle=events.SETTLE if settle is None else timedelta(seconds=settle))
        enqueued = 0
        for event_id in pending:
            try:
                enqueue_event(queues(), event_id)
                enqueued += 1
            except ValueError as exc:  # an id rq refuses, stored before intake checked ids
                events.record_failure(session, event_id, f"cannot be queued: {exc}",
                                      events.RetryPolicy(), final=True)
                session.commit()
    return enqueued
