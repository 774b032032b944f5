"""What a job needs from the app it runs in: a fresh session per job, and the queues."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy.orm import Session

from web.extensions import db
from worker.queues import Queues


@contextmanager
def job_session() -> Iterator[Session]:
    session = db.sessionmaker()
    try:
        yield session
    finally:
        session.close()


def queues() -> Queues:
    return current_app.extensions["queues"]
