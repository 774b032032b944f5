"""The mail outbox: a mail is queued as a row in the same transaction as the change that
causes it, and delivered by a job after commit. A sweep re-enqueues rows never delivered,
so a crash or a Redis outage between commit and enqueue loses no mail."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import MailLog
from emails import mails
from emails.render import render
from emails.send import send_once

KINDS = ("dunning", "suspended", "reactivated", "closing_reminder", "team_invite")


def queue_mail(session: Session, *, key: str, kind: str, to: str, params: dict,
               tenant_id: int | None = None) -> bool:
    """Queue one mail per key; True when it is new (then enqueue its delivery after commit)."""
    if kind not in KINDS:
        raise ValueError(f"unknown mail kind {kind}")
    result = session.execute(
        insert(MailLog)
        .values(idempotency_key=key, kind=kind, to_address=to, tenant_id=tenant_id, params=params)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(MailLog.id)
    )
    return result.first() is not None


def deliver(session: Session, sender, limiter, key: str) -> MailLog | None:
    """Send the queued mail unless it was sent already. Flushes; the caller commits."""
    row = session.scalar(select(MailLog).where(MailLog.idempotency_key == key))
    if row is None or row.status != "pending" or row.params is None:
        return row
    mail = render(row.kind, **getattr(mails, row.kind)(**row.params))
    return send_once(session, sender, limiter, key=key, kind=row.kind, to=row.to_address,
                     mail=mail, tenant_id=row.tenant_id)


def undelivered(session: Session, older_than: timedelta) -> list[str]:
    return list(session.scalars(
        select(MailLog.idempotency_key).where(
            MailLog.status == "pending", MailLog.params.is_not(None),
            MailLog.created_at < utcnow() - older_than).limit(1000)))
