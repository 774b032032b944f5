"""API requests per minute per tenant: a moving one-minute window in Redis (the ``limits``
library), shared by every web process. A fixed window would let twice the limit through
around a minute boundary; a moving window never allows more than the limit in any 60 seconds.

The answer carries the standard ``RateLimit-Limit``/``RateLimit-Remaining``/``RateLimit-Reset``
headers (and the ``X-RateLimit-*`` ones clients already read), and ``Retry-After`` once refused.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.errors import StorageError
from limits.strategies import MovingWindowRateLimiter
from redis import Redis
from redis.exceptions import RedisError

from tenants.rate_limits import moving_window

PREFIX = "contyzr-api-rpm"


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int | None
    remaining: int | None
    reset_in: int  # seconds until a request is allowed again (the window's oldest one leaves)

    def headers(self) -> dict[str, str]:
        if self.limit is None:
            return {}
        values = {"Limit": str(self.limit), "Remaining": str(self.remaining),
                  "Reset": str(self.reset_in)}
        headers = {f"{prefix}RateLimit-{name}": value for prefix in ("", "X-")
                   for name, value in values.items()}
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_in)
        return headers


def _limiter(redis: Redis) -> MovingWindowRateLimiter:
    return moving_window(redis, PREFIX)


def hit(redis: Redis, tenant_id: int, limit: int | None) -> RateDecision:
    """Count one request in the tenant's moving minute and decide. Raises ``RedisError``."""
    if limit is None:
        return RateDecision(True, None, None, 60)
    limiter, item = _limiter(redis), RateLimitItemPerMinute(limit)
    try:
        allowed = limiter.hit(item, str(tenant_id))
        stats = limiter.get_window_stats(item, str(tenant_id))
    except StorageError as exc:
        raise RedisError(str(exc)) from exc
    reset_in = max(1, math.ceil(stats.reset_time - time.time()))
    return RateDecision(allowed, limit, stats.remaining, reset_in)


def requests_this_minute(redis: Redis, tenant_id: int, limit: int | None) -> int:
    """Requests let through in the last 60 seconds (the dashboard's usage meter)."""
    if not limit:
        return 0
    try:
        return limit - _limiter(redis).get_window_stats(RateLimitItemPerMinute(limit),
                                                        str(tenant_id)).remaining
    except (StorageError, RedisError):  # a usage meter must not break the dashboard
        return 0
