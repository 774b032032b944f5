"""The mail outbox: a mail is queued as a row in the same transaction as the change that
causes it, and delivered by a job after commit. A sweep re-enqueues rows never delivered,
so a crash or a Redis outage between commit and enqueue loses no mail.

A mail that keeps failing is not swept for ever: after n attempts (each delivery job makes up
to six, with its own retries) the next sweep picks it up only once the mail is n*n minutes
old, and after ``MAX_ATTEMPTS`` (about 15 hours of failing, inside Resend's 24-hour
idempotency window) it is marked failed with its last error, for staff to see
(``contyzr mail failed``, ``contyzr mail retry <key>``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Select, Update, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.base import utcnow
from db.languages import DEFAULT_LANGUAGE
from db.models import MailLog, Tenant, User
from db.models.mail import MailStatus
from emails import mails
from emails.render import render

MAX_ATTEMPTS = 30
KINDS = ("dunning", "payment_action_required", "trial_ending", "suspended", "reactivated",
         "closing_reminder", "team_invite",
         "password_reset", "welcome", "contact_submission", "domain_verified", "domain_lost",
         "domain_claim_dropped", "order_confirmation", "new_order", "order_shipped",
         "order_out_of_stock", "order_out_of_stock_owner", "staff_invite", "staff_alert")


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


def deliver(session: Session, service, key: str,
            context: Callable[[Session, MailLog], dict | None] | None = None) -> MailLog | None:
    """Send the queued mail unless it was sent already. Flushes; the caller commits.

    ``context(session, row)`` gives the mail's template context (``from_params`` when not
    given; ``tenants.outbox_mails.context_for`` derives the links of sign-in and invitation
    mails at delivery), or None when the mail is no longer due (a revoked invitation, a reset
    for an unknown address): the row is then deleted and nothing is sent."""
    row = session.scalar(select(MailLog).where(MailLog.idempotency_key == key))
    if row is None or row.status != MailStatus.PENDING or row.params is None:
        return row
    found = (context or from_params)(session, row)
    if found is None:
        session.delete(row)
        session.flush()
        return None
    language = found.pop("language", None) or recipient_language(session, row)
    mail = render(row.kind, language, tenant_time_zone(session, row.tenant_id),
                  site_language=found.pop("site_language", False), **found)
    return service.send_once(session, key=key, kind=row.kind, to=row.to_address,
                             mail=mail, tenant_id=row.tenant_id)


def recipient_language(session: Session, row: MailLog) -> str:
    """The language of the user the mail is addressed to (their setting), else the default."""
    language = session.scalar(select(User.language).where(
        func.lower(User.email) == row.to_address.lower()))
    return language or DEFAULT_LANGUAGE


def tenant_time_zone(session: Session, tenant_id: int | None) -> str | None:
    """The time zone the tenant's dates are shown in (None: the default)."""
    return session.scalar(select(Tenant.time_zone).where(Tenant.id == tenant_id)) \
        if tenant_id is not None else None


def from_params(session: Session, row: MailLog) -> dict:
    """The template context of a mail whose params are its context function's arguments."""
    return getattr(mails, row.kind)(**row.params)


def undelivered(session: Session, older_than: timedelta) -> list[str]:
    """Keys of queued mails whose next attempt is due (see the module's docstring)."""
    return list(session.scalars(undelivered_query(utcnow(), older_than)))


def undelivered_query(now: datetime, older_than: timedelta, limit: int = 1000) -> Select:
    """``undelivered``'s selection (through ``ix_mail_log_queued``: queued outbox mails)."""
    backoff = func.make_interval(0, 0, 0, 0, 0, MailLog.attempts * MailLog.attempts)  # minutes
    return select(MailLog.idempotency_key).where(
        MailLog.status == MailStatus.PENDING, MailLog.params.is_not(None),
        MailLog.attempts < MAX_ATTEMPTS,
        MailLog.created_at < now - older_than,
        MailLog.created_at + backoff < now).limit(limit)


def give_up(session: Session) -> int:
    """Mark queued mails that used up their attempts as failed; how many. Flushes."""
    return session.execute(give_up_statement()).rowcount


def give_up_statement() -> Update:
    """``give_up``'s update (through ``ix_mail_log_queued``)."""
    return (update(MailLog).where(MailLog.status == MailStatus.PENDING, MailLog.params.is_not(None),
                                  MailLog.attempts >= MAX_ATTEMPTS)
            .values(status=MailStatus.FAILED))


def failed(session: Session) -> list[MailLog]:
    return list(session.scalars(
        select(MailLog).where(MailLog.status == MailStatus.FAILED).order_by(MailLog.created_at)))


def requeue(session: Session, key: str) -> bool:
    """A failed queued mail gets a fresh budget of attempts; True when there was one."""
    row = session.scalar(select(MailLog).where(MailLog.idempotency_key == key,
                                               MailLog.status == MailStatus.FAILED,
                                               MailLog.params.is_not(None)))
    if row is None:
        return False
    row.status, row.attempts = MailStatus.PENDING, 0
    session.flush()
    return True
