"""Mail jobs that do not belong to another job (password reset)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from db.base import utcnow
from db.models import MailLog
from emails import mails, outbox
from emails.errors import MailError
from emails.render import render
from emails.send import send_once
from links.urls import Urls
from tenants import accounts, signin
from tenants import team as team_rules
from worker.context import job_session, queues
from worker.queues import MAIL, Queues, retry_policy

RESET_TTL = timedelta(hours=1)
RESET_EVERY = timedelta(minutes=2)  # at most one reset mail per address in this window


def enqueue_password_reset(queue_set: Queues, email: str, request_id: str) -> None:
    queue_set[MAIL].enqueue(send_password_reset, email, request_id,
                            job_id=f"password-reset-{request_id}",
                            retry=retry_policy(current_app.config))


def send_password_reset(email: str, request_id: str) -> bool:
    app = current_app
    with job_session() as session:
        user = accounts.find_user(session, email)
        if user is None:
            return False
        recent = session.scalar(select(MailLog.id).where(
            MailLog.kind == "password_reset", MailLog.to_address == user.email,
            MailLog.created_at > utcnow() - RESET_EVERY))
        if recent is not None:
            return False
        key = f"password-reset-{request_id}"
        token = signin.issue(session, user, "reset", RESET_TTL,
                             token=signin.derived_token(app.config["SECRET_KEY"], key))
        reset_url = f"{Urls.from_config(app.config).public_url}/password/reset/{token}"
        mail = render("password_reset", **mails.password_reset(reset_url=reset_url,
                                                               expires_minutes=60))
        service = app.extensions["mail"]
        send_once(session, service.sender, service.limiter, key=key, kind="password_reset",
                  to=user.email, mail=mail, tenant_id=user.tenant_id)
        session.commit()
        return True


def enqueue_delivery(queue_set: Queues, key: str) -> None:
    job_id = "mail-" + hashlib.sha256(key.encode()).hexdigest()[:32]  # rq ids: [A-Za-z0-9_-]
    queue_set[MAIL].enqueue(deliver_mail, key, job_id=job_id,
                            retry=retry_policy(current_app.config))


def deliver_mail(key: str) -> None:
    """Send one queued (outbox) mail, once."""
    service = current_app.extensions["mail"]
    with job_session() as session:
        try:
            outbox.deliver(session, service.sender, service.limiter, key)
        except MailError:
            session.commit()  # the attempt and its error count (a refusal: failed for good)
            raise
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


def enqueue_invite_mail(queue_set: Queues, tenant_id: int, invite_id: int) -> None:
    queue_set[MAIL].enqueue(send_invite_mail, tenant_id, invite_id,
                            job_id=f"team-invite-{invite_id}", retry=retry_policy(current_app.config))


def send_invite_mail(tenant_id: int, invite_id: int) -> bool:
    """The MAIL job: send the invitation once (idempotency key from the invite id)."""
    app = current_app
    service = app.extensions["mail"]
    with job_session() as session:
        sent = team_rules.send_invite_mail(session, service.sender, service.limiter,
                                           Urls.from_config(app.config), app.config["SECRET_KEY"],
                                           tenant_id, invite_id)
        session.commit()
        return sent
