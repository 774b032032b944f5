"""In-memory state of the fake Resend API.

Everything a test may want to steer or inspect lives here: the accepted mails, the
idempotency keys seen in the last 24 hours, injected failures and the per-key rate
limit. All methods are thread-safe, since the server answers requests in threads.
"""

import copy
import random
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60


class IdempotencyConflict(Exception):
    """The idempotency key was already used with a different request body."""


@dataclass
class _Failures:
    status: int
    remaining: int | None = None
    rate: float = 0.0
    rng: random.Random = field(default_factory=random.Random)

    def strike(self) -> bool:
        if self.remaining is None:
            return self.rng.random() < self.rate
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True


@dataclass(frozen=True)
class _IdempotentRequest:
    email_id: str
    body: dict[str, Any]
    at: float


class ResendState:
    """Accepted mails plus the knobs the test controls turn.

    ``rate_limit`` is the number of requests per second allowed per API key
    (``None``: unlimited). It is a setting, so ``reset()`` keeps it.
    """

    def __init__(
        self, rate_limit: int | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.rate_limit = rate_limit
        self._clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget mails, idempotency keys, injected failures and rate-limit windows."""
        with self._lock:
            self._emails: dict[str, dict[str, Any]] = {}
            self._idempotent: dict[str, _IdempotentRequest] = {}
            self._failures: _Failures | None = None
            self._recent_requests: defaultdict[str, deque[float]] = defaultdict(deque)

    # Injected failures

    def fail_next(self, status: int, count: int = 1) -> None:
        """Answer the next ``count`` API requests with ``status``."""
        with self._lock:
            self._failures = _Failures(status, remaining=count)

    def fail_randomly(self, status: int, rate: float, seed: int | None = None) -> None:
        """Answer a ``rate`` fraction of API requests with ``status``."""
        with self._lock:
            self._failures = _Failures(status, rate=rate, rng=random.Random(seed))

    def injected_failure(self) -> int | None:
        """The status this request must fail with, if a failure is due."""
        with self._lock:
            if self._failures and self._failures.strike():
                return self._failures.status
            return None

    # Rate limit

    def throttle(self, api_key: str) -> float | None:
        """Count a request; return seconds to wait if it is over the limit."""
        with self._lock:
            if not self.rate_limit:
                return None
            now = self._clock()
            window = self._recent_requests[api_key]
            while window and window[0] <= now - 1:
                window.popleft()
            if len(window) >= self.rate_limit:
                return window[0] + 1 - now
            window.append(now)
            return None

    # Mails

    def accept(
        self, body: dict[str, Any], request_headers: dict[str, str], idempotency_key: str | None
    ) -> str:
        """Record a mail and return its id; replay the id for a known idempotency key.

        Raises ``IdempotencyConflict`` when a live key comes with a different body.
        """
        with self._lock:
            now = self._clock()
            if idempotency_key:
                earlier = self._idempotent.get(idempotency_key)
                if earlier and now - earlier.at < IDEMPOTENCY_TTL_SECONDS:
                    if earlier.body != body:
                        raise IdempotencyConflict(idempotency_key)
                    return earlier.email_id
            email_id = str(uuid.uuid4())
            self._emails[email_id] = {
                "id": email_id,
                "accepted_at": datetime.fromtimestamp(now, UTC).isoformat(),
                "idempotency_key": idempotency_key,
                "request_headers": dict(request_headers),
                "body": copy.deepcopy(body),
            }
            if idempotency_key:
                self._idempotent[idempotency_key] = _IdempotentRequest(email_id, body, now)
            return email_id

    def get(self, email_id: str) -> dict[str, Any] | None:
        with self._lock:
            return copy.deepcopy(self._emails.get(email_id))

    @property
    def emails(self) -> list[dict[str, Any]]:
        """Copies of the accepted mails, oldest first."""
        with self._lock:
            return copy.deepcopy(list(self._emails.values()))
