"""Requests per minute per tenant, counted in Redis so every web process shares the count."""

from __future__ import annotations

import time
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError


def _key(tenant_id: int, minute: int) -> str:
    return f"api:rpm:{tenant_id}:{minute}"


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int | None
    remaining: int | None
    reset_in: int  # seconds until the window starts again

    def headers(self) -> dict[str, str]:
        if self.limit is None:
            return {}
        headers = {"X-RateLimit-Limit": str(self.limit),
                   "X-RateLimit-Remaining": str(self.remaining),
                   "X-RateLimit-Reset": str(self.reset_in)}
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_in)
        return headers


def hit(redis: Redis, tenant_id: int, limit: int | None, now: float | None = None) -> RateDecision:
    """Count one request in the current minute and decide (fixed one-minute windows)."""
    now = time.time() if now is None else now
    minute = int(now // 60)
    reset_in = max(1, 60 - int(now % 60))
    with redis.pipeline() as pipe:
        pipe.incr(_key(tenant_id, minute))
        pipe.expire(_key(tenant_id, minute), 120)
        count = pipe.execute()[0]
    if limit is None:
        return RateDecision(True, None, None, reset_in)
    return RateDecision(count <= limit, limit, max(0, limit - count), reset_in)


def requests_this_minute(redis: Redis, tenant_id: int) -> int:
    try:
        return int(redis.get(_key(tenant_id, int(time.time() // 60))) or 0)
    except RedisError:  # a usage meter must not break the dashboard
        return 0
