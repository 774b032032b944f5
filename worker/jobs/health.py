from __future__ import annotations

from sqlalchemy import text

from worker.context import job_session


def ping(token: str = "scheduled") -> dict:  # noqa: S107 (a label, not a secret)
    """Round trip through Redis, a worker and the database."""
    with job_session() as session:
        database = session.execute(text("SELECT 1")).scalar_one() == 1
    return {"token": token, "database": database}
