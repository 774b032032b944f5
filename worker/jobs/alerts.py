"""The alert jobs: ``evaluate_alerts`` runs the rules every minute (``monitoring.alerts``) and
queues the staff mails of what opened or resolved; ``post_alert`` posts one incident's phase
to the Slack-compatible webhook, in its own job, so a failing or hanging webhook never holds
up the checks or other jobs."""

from __future__ import annotations

from flask import current_app
from redis.exceptions import RedisError
from rq import Retry, get_current_job
from rq.job import Job

from monitoring import alert_notices, alerts
from worker.context import job_session, queues
from worker.jobs.mail import deliver_soon
from worker.queues import MAIL, QUEUE_NAMES
from worker.services import services

POST_RETRIES = (10, 60, 300)  # seconds between the webhook's attempts, then given up
POST_RECORD_SECONDS = 24 * 3600


def evaluate_alerts() -> dict:
    """Evaluate every rule, commit, then send what changed; a summary of the changes."""
    config = current_app.config
    with job_session() as session:
        changes = alerts.evaluate(session, services().queues.connection, config, QUEUE_NAMES)
        notices = alert_notices.announce(session, config, changes)
        session.commit()
        missed = alert_notices.unposted(session, config)
        session.commit()
    for key in notices.mail_keys:
        deliver_soon(queues(), key)  # the mail sweep delivers them if Redis is down
    for incident_id, phase in dict.fromkeys([*notices.posts, *missed]):
        enqueue_post(incident_id, phase)
    return {"opened": changes.opened, "resolved": changes.resolved, "firing": changes.firing,
            "failed_rules": changes.failed_rules}


def enqueue_post(incident_id: int, phase: str) -> None:
    """Queue the post unless its job exists (queued, waiting to retry, or done: its record is
    kept a day, so a post given up on is not tried again by the next evaluation)."""
    intervals = current_app.config.get("ALERT_WEBHOOK_RETRY_INTERVALS") or POST_RETRIES
    job_id = f"alert-post-{incident_id}-{phase}"
    try:
        if Job.exists(job_id, connection=queues().connection):
            return
        queues()[MAIL].enqueue(post_alert, incident_id, phase, job_id=job_id,
                               result_ttl=POST_RECORD_SECONDS, failure_ttl=POST_RECORD_SECONDS,
                               retry=Retry(max=len(intervals), interval=list(intervals)))
    except RedisError:
        current_app.logger.exception("alerts: the webhook post of incident %s (%s) was not "
                                     "enqueued; its mail is in the outbox", incident_id, phase)


def post_alert(incident_id: int, phase: str) -> str:
    """Post once; a failure is retried by rq with backoff, the last one is logged and given up
    (no exception: nothing more is tried)."""
    job = get_current_job()
    try:
        with job_session() as session:
            outcome = alert_notices.post_once(session, incident_id, phase, current_app.config)
            session.commit()
            return outcome
    except alert_notices.WebhookFailed as exc:
        if job is not None and job.retries_left:
            current_app.logger.warning("alerts: webhook post of incident %s (%s) failed (%s); "
                                       "trying again later", incident_id, phase, exc)
            raise
        current_app.logger.error("alerts: webhook post of incident %s (%s) failed (%s); "
                                 "given up", incident_id, phase, exc)
        return "given up"
