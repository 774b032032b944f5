"""Advisory locks in PostgreSQL, so that work on one thing takes turns across every process."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def lock_customer(session: Session, customer_id: str) -> None:
    """A transaction-scoped advisory lock: concurrent work on one Stripe customer (its events,
    its tenant's birth, a suspension) takes turns."""
    session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(customer_id, 0))))
