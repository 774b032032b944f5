"""Moving-window rate limits (the ``limits`` library) on the app's Redis, so every process
shares one count. Each kind of limit has its own key prefix."""

from __future__ import annotations

from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis import Redis


def moving_window(redis: Redis, prefix: str) -> MovingWindowRateLimiter:
    """A limiter on ``redis``'s connection pool; storage errors surface as ``StorageError``."""
    storage = RedisStorage("redis://", connection_pool=redis.connection_pool,
                           wrap_exceptions=True, key_prefix=prefix)
    return MovingWindowRateLimiter(storage)
