"""What a job needs from the app it runs in: a fresh session per job, and the queues."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from worker.queues import Queues
from worker.services import services


@contextmanager
def job_session() -> Iterator[Session]:
    session = services().database.sessionmaker()
    try:
        yield session
    finally:
        session.close()


def queues() -> Queues:
    return services().queues
