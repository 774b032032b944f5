"""Provisioning jobs (the steps themselves live in ``tenants.provisioning``)."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from rq import get_current_job
from sqlalchemy import or_, select

from db.base import utcnow
from db.models import ProvisioningRun
from tenants.provisioning import Services, run_provisioning
from tenants.urls import Urls
from worker.context import job_session, queues
from worker.queues import PROVISIONING, Queues, retry_policy

STUCK_AFTER = timedelta(seconds=20)


def enqueue_provisioning(queue_set: Queues, signup_id: str) -> None:
    queue_set[PROVISIONING].enqueue(
        provision, signup_id, job_id=f"provision-{signup_id}",
        retry=retry_policy(current_app.config), failure_ttl=7 * 86400,
    )


def services() -> Services:
    app = current_app
    mail = app.extensions["mail"]
    return Services(catalog=app.extensions["catalog"], urls=Urls.from_config(app.config),
                    secret_key=app.config["SECRET_KEY"], mail_sender=mail.sender,
                    mail_limiter=mail.limiter)


def provision(signup_id: str) -> None:
    job = get_current_job()
    with job_session() as session:
        run_provisioning(session, services(), signup_id,
                         final_attempt=job is None or not job.retries_left)


def sweep_stuck_runs() -> int:
    """Resume runs that stopped moving (a worker killed mid-job, Redis down at enqueue time)."""
    cutoff = utcnow() - STUCK_AFTER
    with job_session() as session:
        stuck = list(session.scalars(
            select(ProvisioningRun.signup_id).where(
                ProvisioningRun.status.in_(("queued", "running")),
                or_(ProvisioningRun.heartbeat_at < cutoff,
                    ProvisioningRun.heartbeat_at.is_(None) & (ProvisioningRun.created_at < cutoff)),
            )
        ))
    for signup_id in stuck:
        enqueue_provisioning(queues(), signup_id)
    return len(stuck)
