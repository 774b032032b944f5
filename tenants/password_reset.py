"""Password reset by mail, through the outbox.

A request queues a ``password_reset`` outbox row for any address, known or not, so the answer
and the work are the same for both (no account enumeration) and a Redis outage loses nothing.
The delivery looks the user up: for an unknown address, or a second request within
``RESET_EVERY``, the row is dropped and no mail goes out. The link's token is derived from the
row's key with the secret (``signin.derived_token``), so a retried delivery carries the same
link and no token is stored in the outbox; only its hash is stored, as a sign-in link.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import MailLog, User
from db.models.mail import MailStatus
from emails import mails
from emails.outbox import queue_mail
from links.urls import Urls
from tenants import accounts, signin

RESET_TTL = timedelta(hours=1)
RESET_EVERY = timedelta(minutes=2)  # at most one reset mail per address in this window
KIND = "password_reset"


def request_reset(session: Session, email: str, request_id: str) -> str:
    """Queue the reset mail of ``email``, whoever it belongs to; its outbox key. Flushes."""
    key = f"password-reset-{request_id}"
    address = email.strip().lower()[:254]
    queue_mail(session, key=key, kind=KIND, to=address, params={})
    return key


def reset_mail(session: Session, urls: Urls, secret: str, row: MailLog) -> dict | None:
    """The reset mail's context for the queued ``row``, or None when no mail is due. Flushes."""
    user = accounts.find_user(session, row.to_address)
    if user is None:
        return None
    session.scalar(select(User.id).where(User.id == user.id).with_for_update())  # one at a time
    recent = session.scalar(select(MailLog.id).where(
        MailLog.kind == KIND, MailLog.id != row.id, MailLog.status == MailStatus.SENT,
        MailLog.to_address.in_((user.email, row.to_address)),
        MailLog.created_at > utcnow() - RESET_EVERY))
    if recent is not None:
        return None
    row.to_address, row.tenant_id = user.email, user.tenant_id
    token = signin.issue(session, user, "reset", RESET_TTL,
                         token=signin.derived_token(secret, row.idempotency_key))
    return mails.password_reset(reset_url=urls.password_reset(token),
                                expires_minutes=int(RESET_TTL.total_seconds() // 60))
