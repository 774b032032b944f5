"""Login throttling in Redis, shared by every web process.

Failures count per (account, address) pair and per address. An attacker guessing from one
address is slowed down, but cannot lock the real owner out: the owner's own address has its
own counter for the same account.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

WINDOW_SECONDS = 15 * 60
PER_ACCOUNT_AND_ADDRESS = 5
PER_ADDRESS = 50


@dataclass
class LoginThrottle:
    redis: Redis
    prefix: str = "throttle:login"

    def _keys(self, email: str, address: str) -> tuple[str, str]:
        return (f"{self.prefix}:pair:{email.strip().lower()}:{address}",
                f"{self.prefix}:addr:{address}")

    def retry_after(self, email: str, address: str) -> int:
        """Seconds to wait before trying again, 0 when a try is allowed."""
        pair, addr = self._keys(email, address)
        try:
            counts = self.redis.mget(pair, addr)
            limited = [key for key, count, limit in
                       ((pair, counts[0], PER_ACCOUNT_AND_ADDRESS), (addr, counts[1], PER_ADDRESS))
                       if count is not None and int(count) >= limit]
            return max((self.redis.ttl(key) for key in limited), default=0)
        except RedisError:
            return 0  # never lock everyone out because Redis is away

    def failed(self, email: str, address: str) -> None:
        try:
            with self.redis.pipeline() as pipe:
                for key in self._keys(email, address):
                    pipe.set(key, 0, ex=WINDOW_SECONDS, nx=True)  # the window starts at the first
                    pipe.incr(key)
                pipe.execute()
        except RedisError:
            pass

    def succeeded(self, email: str, address: str) -> None:
        try:
            self.redis.delete(self._keys(email, address)[0])
        except RedisError:
            pass
