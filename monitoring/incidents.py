"""The incidents as staff read them: open ones first (newest first), then those resolved in
the last days (the back office's ``/admin/incidents``, ``contyzr alerts list``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Incident

RESOLVED_DAYS = 7
SHOWN = 200


def open_incidents(session: Session) -> list[Incident]:
    return list(session.scalars(select(Incident).where(Incident.resolved_at.is_(None))
                                .order_by(Incident.opened_at.desc(), Incident.id.desc())
                                .limit(SHOWN)))


def recently_resolved(session: Session, now: datetime | None = None,
                      days: int = RESOLVED_DAYS) -> list[Incident]:
    since = (now or utcnow()) - timedelta(days=days)
    return list(session.scalars(select(Incident).where(Incident.resolved_at >= since)
                                .order_by(Incident.resolved_at.desc(), Incident.id.desc())
                                .limit(SHOWN)))
