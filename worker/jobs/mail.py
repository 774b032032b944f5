"""The mail jobs: every mail is an outbox row (``emails.outbox``), delivered by ``deliver_mail``
and, when that never ran or never finished, re-enqueued by ``sweep_mail``."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError

from emails import outbox
from emails.errors import MailError
from monitoring import metrics
from staff import invites
from tenants import outbox_mails
from worker.context import job_session, queues
from worker.queues import MAIL, Queues, retry_policy
from worker.services import services


def enqueue_delivery(queue_set: Queues, key: str) -> None:
    job_id = "mail-" + hashlib.sha256(key.encode()).hexdigest()[:32]  # rq ids: [A-Za-z0-9_-]
    queue_set[MAIL].enqueue(deliver_mail, key, job_id=job_id,
                            retry=retry_policy(current_app.config))


def deliver_soon(queue_set: Queues, key: str) -> bool:
    """Enqueue the delivery of a committed outbox mail; False (logged) when Redis is down:
    the row stays queued and ``sweep_mail`` enqueues it once Redis is back."""
    try:
        enqueue_delivery(queue_set, key)
    except RedisError:
        current_app.logger.exception("enqueueing mail %s; the mail sweep will deliver it", key)
        return False
    return True


def deliver_mail(key: str) -> None:
    """Send one queued (outbox) mail, once: every mail goes out through this job."""
    service, urls, secret = services().mail, services().urls, services().secret_key
    tenants_context = outbox_mails.context_for(urls, secret)

    def context(session, row):
        if row.kind == invites.KIND:  # the back office's (staff/ sits above tenants/)
            return invites.invite_mail(session, urls, secret, row)
        return tenants_context(session, row)

    with job_session() as session:
        try:
            row = outbox.deliver(session, service, key, context)
        except MailError:
            session.commit()  # the attempt and its error count (a refusal: failed for good)
            metrics.count_mail("failed")
            raise
        if row is not None and row.status == "sent":
            metrics.count_mail("sent")
        session.commit()


def sweep_mail() -> int:
    """Enqueue outbox mails whose delivery was never enqueued or never finished."""
    with job_session() as session:
        if given_up := outbox.give_up(session):
            current_app.logger.error("mail: %d queued mail(s) failed after %d attempts",
                                     given_up, outbox.MAX_ATTEMPTS)
        session.commit()
        keys = outbox.undelivered(session, older_than=timedelta(minutes=1))
    for key in keys:
        enqueue_delivery(queues(), key)
    return len(keys)
