"""Engine and session factories. Callers own transactions: services flush, callers commit."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` URLs and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# A worker killed while it holds a lock must not hold it for ever: the server ends sessions
# left idle in a transaction, and idle sessions (pool_pre_ping reconnects transparently).
SERVER_TIMEOUTS = "-c idle_in_transaction_session_timeout=30000 -c idle_session_timeout=60000"


def make_engine(url: str, **kwargs) -> Engine:
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"options": SERVER_TIMEOUTS})
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 10)
    return create_engine(normalise_url(url), **kwargs)


def make_sessionmaker(bind) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False)
