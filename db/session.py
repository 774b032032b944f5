"""Engine and session factories. Callers own transactions: services flush, callers commit."""

from __future__ import annotations

import time

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` URLs and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# A worker killed while it holds a lock must not hold it for ever: the server ends sessions
# left idle in a transaction, and idle sessions (a pooled connection idle for a while is
# pinged before use, and replaced transparently when the server has ended it).
SERVER_TIMEOUTS = "-c idle_in_transaction_session_timeout=30000 -c idle_session_timeout=60000"
PING_AFTER_IDLE = 20.0  # seconds in the pool after which a connection is pinged before use


def make_engine(url: str, **kwargs) -> Engine:
    kwargs.setdefault("connect_args", {"options": SERVER_TIMEOUTS})
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 10)
    engine = create_engine(normalise_url(url), **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pessimistic disconnect handling (its ``pool_pre_ping`` pings on every
    checkout, a round trip per request), only for connections that sat in the pool long
    enough for the server to end them or to have restarted meanwhile; a busy pool's are not.
    A failed ping raises ``DisconnectionError``, on which the pool connects afresh."""

    @event.listens_for(engine, "checkin")
    def idle_from_now(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, _proxy):
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"a pooled connection was closed: {exc}") from exc


def make_sessionmaker(bind) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False)
