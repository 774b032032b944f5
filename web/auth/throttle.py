"""Login throttling: moving windows in Redis (the ``limits`` library), shared by every web
process. The address is ``request.remote_addr``: the client's own behind ``TRUST_PROXY``.

- The lock-out is per account *and* address: 5 wrong passwords for one account from one
  address within 15 minutes stop that account being tried from that address until the window
  moves on. A stranger guessing from elsewhere never locks the owner out, and the owner can
  always reset the password (the reset link signs them in).
- The spray brake is per address: 100 failures within 15 minutes, whatever the accounts, stop
  that address trying accounts that have not signed in from it during the last 30 days. People
  who share an address with a guesser (an office, a proxy left out of ``TRUST_PROXY``) and have
  signed in from it before are never stopped by the guesser's failures.

While a rule holds, even the right password gets the same refusal: no oracle. If Redis cannot
be reached nobody is refused.
"""

from __future__ import annotations

import hashlib
import math
import time

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.errors import StorageError
from redis import Redis
from redis.exceptions import RedisError

from tenants.rate_limits import moving_window

WINDOW_MINUTES = 15
PER_ACCOUNT_AND_ADDRESS = 5
PER_ADDRESS = 100
KNOWN_FOR_SECONDS = 30 * 24 * 3600
PREFIX = "contyzr-login-throttle"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _per(amount: int) -> RateLimitItem:
    return RateLimitItemPerMinute(amount, WINDOW_MINUTES)


class LoginThrottle:
    def __init__(self, redis: Redis):
        self.redis = redis
        self.limiter = moving_window(redis, PREFIX)

    @staticmethod
    def _account(email: str) -> str:
        return _digest(email.strip().lower())

    def _known_key(self, email: str, address: str) -> str:
        return f"{PREFIX}:known:{_digest(self._account(email), address)}"

    def _wait(self, item: RateLimitItem, *identifiers: str) -> int:
        if self.limiter.test(item, *identifiers):
            return 0
        reset = self.limiter.get_window_stats(item, *identifiers).reset_time
        return max(1, math.ceil(reset - time.time()))

    def retry_after(self, email: str, address: str) -> int:
        """Seconds to wait before this account may be tried from this address; 0: go ahead."""
        try:
            wait = self._wait(_per(PER_ACCOUNT_AND_ADDRESS), "pair", self._account(email), address)
            address_wait = self._wait(_per(PER_ADDRESS), "address", address)
            if address_wait and not self.redis.exists(self._known_key(email, address)):
                wait = max(wait, address_wait)
            return wait
        except (StorageError, RedisError):
            return 0  # never lock everyone out because Redis is away

    def failed(self, email: str, address: str) -> None:
        try:
            self.limiter.hit(_per(PER_ACCOUNT_AND_ADDRESS), "pair", self._account(email), address)
            self.limiter.hit(_per(PER_ADDRESS), "address", address)
        except StorageError:
            pass

    def succeeded(self, email: str, address: str) -> None:
        """The account's failures from this address are forgiven, and the address is known."""
        try:
            self.limiter.clear(_per(PER_ACCOUNT_AND_ADDRESS), "pair", self._account(email), address)
            self.redis.set(self._known_key(email, address), 1, ex=KNOWN_FOR_SECONDS)
        except (StorageError, RedisError):
            pass
