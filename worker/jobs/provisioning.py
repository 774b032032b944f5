"""Provisioning jobs (the steps themselves live in ``tenants.provisioning``)."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq import get_current_job

from db.base import utcnow
from monitoring import metrics
from tenants.lifecycle import Effects
from tenants.providers import providers_from_config
from tenants.provisioning import ProvisioningError, Services, run_provisioning, runs_to_resume
from worker.context import job_session, queues
from worker.queues import PROVISIONING, Queues, retry_policy
from worker.services import services

STUCK_AFTER = timedelta(seconds=20)


def enqueue_provisioning(queue_set: Queues, signup_id: str) -> None:
    queue_set[PROVISIONING].enqueue(
        provision, signup_id, job_id=f"provision-{signup_id}",
        retry=retry_policy(current_app.config), failure_ttl=7 * 86400,
    )


def provisioning_services() -> Services:
    found = services()
    return Services(catalog=found.catalog, urls=found.urls, secret_key=found.secret_key,
                    mail=found.mail, providers=providers_from_config(current_app.config))


def provision(signup_id: str) -> str:
    """Run the signup's provisioning. A step that cannot succeed fails the run at once and
    ends the job (no retries spent on it): staff see it and repair it with one command."""
    from worker.jobs.mail import enqueue_delivery

    job, effects, began = get_current_job(), Effects(), utcnow()
    try:
        with job_session() as session:
            return run_provisioning(session, provisioning_services(), signup_id,
                                    final_attempt=job is None or not job.retries_left,
                                    effects=effects).status
    except ProvisioningError as exc:
        current_app.logger.error("provisioning of signup %s failed: %s; repair with "
                                 "contyzr provisioning retry", signup_id, exc)
        return "failed"
    finally:
        with job_session() as session:  # a run this job finished: its duration
            metrics.observe_provisioning(session, signup_id, finished_since=began)
        # Mails of committed steps (a suspension the new tenant was born in) go out now,
        # whatever became of later steps; the outbox sweep sends them if Redis is down.
        try:
            for key in effects.mail_keys:
                enqueue_delivery(queues(), key)
        except RedisError:
            current_app.logger.warning("Redis unavailable; mails of %s left for the sweep",
                                       signup_id)


def sweep_stuck_runs() -> int:
    """Resume runs that stopped moving or whose backoff has passed (``runs_to_resume``)."""
    stuck_after = current_app.config.get("PROVISIONING_STUCK_SECONDS")
    with job_session() as session:
        due = runs_to_resume(session, STUCK_AFTER if stuck_after is None
                             else timedelta(seconds=stuck_after))
    for signup_id in due:
        enqueue_provisioning(queues(), signup_id)
    return len(due)
