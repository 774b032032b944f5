"""Send a mail exactly once per occurrence: the mail log row is the guard, not the provider.

``send_once`` locks (or creates) the row for the idempotency key; a mail already accepted is
not sent again. The same key goes to Resend as ``Idempotency-Key`` so a crash between the
provider accepting and our commit is also covered within Resend's 24-hour window.
"""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import MailLog
from db.models.mail import MailStatus
from emails.errors import PermanentMailError, TransientMailError
from emails.render import RenderedMail

INLINE_RETRIES = 2  # short waits (Retry-After of a few seconds) before leaving it to the job
MAX_INLINE_WAIT = 5.0


def _lock_row(session: Session, key: str, kind: str, to: str, tenant_id: int | None) -> MailLog:
    session.execute(
        insert(MailLog)
        .values(idempotency_key=key, kind=kind, to_address=to, tenant_id=tenant_id)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
    )
    return session.scalar(
        select(MailLog)
        .where(MailLog.idempotency_key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def already_sent(session: Session, key: str) -> bool:
    return (
        session.scalar(
            select(MailLog.id).where(MailLog.idempotency_key == key, MailLog.status == MailStatus.SENT)
        )
        is not None
    )


def send_once(
    session: Session,
    sender,
    limiter,
    *,
    key: str,
    kind: str,
    to: str,
    mail: RenderedMail,
    tenant_id: int | None = None,
) -> MailLog:
    """Send unless already sent; returns the (flushed) row. Raises Transient/PermanentMailError.

    The row stays locked until the caller commits, so two workers cannot send it together.
    """
    log = _lock_row(session, key, kind, to, tenant_id)
    if log.status == MailStatus.SENT:
        return log
    waits = 0
    while True:
        if limiter is not None:
            limiter.acquire()
        log.attempts += 1
        try:
            log.provider_id = sender.send(to=to, mail=mail, idempotency_key=key)
        except TransientMailError as exc:
            log.last_error = str(exc)[:2000]
            if (
                waits == INLINE_RETRIES
                or exc.retry_after is None
                or exc.retry_after > MAX_INLINE_WAIT
            ):
                session.flush()
                raise
            waits += 1
            time.sleep(exc.retry_after)
            continue
        except PermanentMailError as exc:
            log.status, log.last_error = MailStatus.FAILED, str(exc)[:2000]
            session.flush()
            raise
        log.status, log.accepted_at, log.last_error = MailStatus.SENT, utcnow(), None
        session.flush()
        return log
