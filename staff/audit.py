"""The staff audit log: who did what, to which tenant, why and when, and what was refused.
Append-only: the database refuses any change or deletion (migration 0019)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import StaffAuditEntry, StaffUser

PAGE_SIZE = 100


def record(session: Session, staff: StaffUser | None, action: str, *, tenant_id: int | None = None,
           reason: str = "", outcome: str = "done", email: str | None = None,
           **details) -> StaffAuditEntry:
    """Add an entry (``staff`` None: an attempt by an unknown or not yet signed-in person,
    named by ``email``). Flushes."""
    entry = StaffAuditEntry(staff_id=staff.id if staff else None,
                            staff_email=(staff.email if staff else email or "")[:254],
                            action=action[:64], tenant_id=tenant_id, reason=reason[:2000],
                            outcome=outcome, details=details)
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, tenant_id: int | None = None, before_id: int | None = None,
            size: int = PAGE_SIZE) -> list[StaffAuditEntry]:
    """The newest entries first (of one tenant, when given), ``size`` at most, older than
    ``before_id`` (the next page)."""
    statement = select(StaffAuditEntry).order_by(StaffAuditEntry.id.desc()).limit(size)
    if tenant_id is not None:
        statement = statement.where(StaffAuditEntry.tenant_id == tenant_id)
    if before_id is not None:
        statement = statement.where(StaffAuditEntry.id < before_id)
    return list(session.scalars(statement))
