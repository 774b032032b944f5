"""Mail jobs that do not belong to another job (password reset)."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from db.base import utcnow
from db.models import MailLog
from emails import mails
from emails.render import render
from emails.send import send_once
from tenants import accounts, signin
from tenants.urls import Urls
from worker.context import job_session
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
