"""Pooled connections: one the server ended while it sat idle is replaced without an error, and
a busy pool's connections are used without a ping (a round trip saved on every request)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import create_engine, text

from db import session as db_session_module
from db.session import make_engine


@pytest.fixture
def engine(postgres_url):
    made = make_engine(postgres_url, pool_size=1, max_overflow=0)
    yield made
    made.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def end_backend(postgres_url, pid: int) -> None:
    admin = create_engine(postgres_url)
    with admin.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_a_connection_ended_while_idle_is_replaced(engine, postgres_url, monkeypatch):
    first = backend_pid(engine)
    end_backend(postgres_url, first)
    monkeypatch.setattr(db_session_module, "PING_AFTER_IDLE", 0.0)  # it has been idle long enough
    second = backend_pid(engine)  # no error: the ping failed and the pool connected afresh
    assert second != first


def test_a_busy_pool_is_not_pinged(engine, postgres_url):
    first = backend_pid(engine)
    end_backend(postgres_url, first)
    # Checked in a moment ago: used without a ping, so the ended connection shows (this is the
    # round trip saved), and the pool replaces it for the next checkout.
    with pytest.raises(Exception) as raised:
        backend_pid(engine)
    assert isinstance(raised.value.orig, psycopg.OperationalError)
    assert backend_pid(engine) != first
