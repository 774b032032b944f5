"""A mail send rate limit shared by all worker processes, kept in Redis.

Why not the ``limits`` library (which the API and login limits use): this limiter guards the
provider's per-second cap (Resend answers 429 past it), so its window is one second and every
worker on every host must agree on when a slot frees up. ``limits`` stamps window entries with
each process's own clock (``time.time()``), and a few tens of milliseconds of skew between
hosts is a large part of a one-second window, enough to let bursts past the cap. The script
below takes the time from Redis (``TIME``), one clock for all workers, and checks and takes a
slot atomically; ``acquire`` blocks until a slot is free, which ``limits`` does not offer."""

import time
import uuid

from redis import Redis

from .errors import TransientMailError

# Sliding one-second window in a sorted set of start times (Redis server time, in µs),
# checked and updated atomically. Returns 0 when a slot was taken, else µs to wait.
_TAKE_SLOT = """
local key, limit, window = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(window / 1000))
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tonumber(oldest[2]) + window - now
"""
_WINDOW_MICROSECONDS = 1_000_000


class MailRateLimiter:
    """At most ``per_second`` sends start in any one-second window, across processes."""

    def __init__(self, redis: Redis, per_second: int = 2, key: str = "mail:ratelimit") -> None:
        self._per_second = per_second
        self._key = key
        self._take_slot = redis.register_script(_TAKE_SLOT)

    def acquire(self, timeout: float | None = None) -> None:
        """Block until a send may start.

        Raises ``TransientMailError`` (with ``retry_after``) when no slot frees up within
        ``timeout`` seconds; ``None`` waits as long as it takes.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while wait := self._try_acquire():
            if deadline is not None and time.monotonic() + wait > deadline:
                raise TransientMailError(
                    f"No mail send slot free within {timeout} s", retry_after=wait
                )
            time.sleep(wait)

    def _try_acquire(self) -> float:
        """Take a slot and return 0, or return the seconds until one frees up."""
        wait = self._take_slot(
            keys=[self._key], args=[self._per_second, _WINDOW_MICROSECONDS, uuid.uuid4().hex]
        )
        return wait / _WINDOW_MICROSECONDS
