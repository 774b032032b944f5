"""Background delivery of signed webhook events, with Stripe's signature and retries.

Worker threads (one unless ``threads`` says more: real Stripe sends concurrently, in no
guaranteed order) POST each delivery (an event for an endpoint) with
``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<payload>">`` and retries
non-2xx answers and connection errors with a doubling backoff. The knobs in
:class:`DeliverySettings` make a receiver face what real Stripe does now and then:
late, duplicated, reordered or retried events.
"""

import hashlib
import heapq
import hmac
import itertools
import random
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import httpx


@dataclass(frozen=True)
class DeliverySettings:
    delay_ms: float = 0
    duplicate_rate: float = 0.0  # chance that an event is delivered twice
    reorder: bool = False  # shuffle the events of one batch (one API call) before sending
    fail_first_rate: float = 0.0  # chance that the first attempt is skipped as failed
    seed: int | None = None
    backoff_ms: float = 200  # wait before the 1st retry; doubles for each further one
    max_attempts: int = 8
    timeout_ms: float = 10_000
    threads: int = 1  # deliveries in flight at once

    @classmethod
    def names(cls) -> list[str]:
        return [setting.name for setting in fields(cls)]


@dataclass
class Attempt:
    at: float  # unix time
    status: int | None
    error: str | None = None


@dataclass
class Delivery:
    event_id: str
    url: str
    secret: str
    payload: str
    duplicate: bool = False
    fail_first: bool = False
    attempts: list[Attempt] = field(default_factory=list)
    outcome: str = "pending"  # then "delivered" or "failed"

    def summary(self) -> dict[str, Any]:
        return {
            "endpoint": self.url,
            "duplicate": self.duplicate,
            "outcome": self.outcome,
            "attempts": [asdict(attempt) for attempt in self.attempts],
        }


def signature_header(payload: str, secret: str, timestamp: int) -> str:
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class Sender:
    """The delivery queue (a heap by due time) and the worker thread draining it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._in_flight = 0
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._generation = 0  # bumped by reset(), so that in-flight deliveries are dropped
        self.reset()

    def reset(self) -> None:
        """Forget queued deliveries, the log and the settings."""
        with self._cond:
            self._generation += 1
            self._queue.clear()
            self._log: dict[str, list[Delivery]] = defaultdict(list)
            self.settings = DeliverySettings()
            self._rng = random.Random()
            self._cond.notify_all()

    def configure(self, **changes: Any) -> DeliverySettings:
        with self._cond:
            self.settings = replace(self.settings, **changes)
            if "seed" in changes:
                self._rng = random.Random(self.settings.seed)
            return self.settings

    def submit(self, batch: list[Delivery]) -> None:
        """Queue one API call's deliveries, applying the reorder/duplicate/failure knobs."""
        with self._cond:
            settings, rng = self.settings, self._rng
            queued = []
            for delivery in batch:
                delivery.fail_first = rng.random() < settings.fail_first_rate
                queued.append(delivery)
                if rng.random() < settings.duplicate_rate:
                    queued.append(replace(delivery, duplicate=True, attempts=[]))
            if settings.reorder:
                rng.shuffle(queued)
            due = time.monotonic() + settings.delay_ms / 1000
            for delivery in queued:
                self._log[delivery.event_id].append(delivery)
                self._push(due, delivery)
            while queued and len(self._threads) < settings.threads:
                thread = threading.Thread(target=self._run, args=(len(self._threads),),
                                          name="fake-stripe-webhooks", daemon=True)
                self._threads.append(thread)
                thread.start()

    def deliveries(self, event_id: str) -> list[dict[str, Any]]:
        with self._cond:
            return [delivery.summary() for delivery in self._log.get(event_id, [])]

    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + self._in_flight

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every delivery succeeded or gave up; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._in_flight, timeout)

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def _push(self, due: float, delivery: Delivery) -> None:
        heapq.heappush(self._queue, (due, next(self._order), delivery))
        self._cond.notify_all()

    def _next(self, index: int) -> Delivery | None:
        """Wait for the next due delivery (None once stopping), holding the condition; thread
        ``index`` takes none while the settings (since changed) want fewer threads."""
        while not self._stopping:
            if not self._queue or index >= self.settings.threads:
                self._cond.wait()
                continue
            wait = self._queue[0][0] - time.monotonic()
            if wait <= 0:
                self._in_flight += 1
                return heapq.heappop(self._queue)[2]
            self._cond.wait(wait)
        return None

    def _run(self, index: int) -> None:
        with httpx.Client(trust_env=False) as client:
            while True:
                with self._cond:
                    delivery = self._next(index)
                    settings, generation = self.settings, self._generation
                if delivery is None:
                    return
                attempt = self._attempt(client, delivery, settings)
                with self._cond:
                    self._in_flight -= 1
                    if generation == self._generation:
                        self._record(delivery, attempt, settings)
                    self._cond.notify_all()

    def _record(self, delivery: Delivery, attempt: Attempt, settings: DeliverySettings) -> None:
        """Log the attempt; schedule a retry unless it succeeded or was the last one allowed."""
        delivery.attempts.append(attempt)
        if attempt.status is not None and 200 <= attempt.status < 300:
            delivery.outcome = "delivered"
        elif len(delivery.attempts) >= settings.max_attempts:
            delivery.outcome = "failed"
        else:
            backoff = settings.backoff_ms / 1000 * 2 ** (len(delivery.attempts) - 1)
            self._push(time.monotonic() + backoff, delivery)

    @staticmethod
    def _attempt(client: httpx.Client, delivery: Delivery, settings: DeliverySettings) -> Attempt:
        now = time.time()
        if delivery.fail_first and not delivery.attempts:
            return Attempt(at=now, status=None, error="simulated failure (fail_first_rate)")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": signature_header(delivery.payload, delivery.secret, int(now)),
        }
        try:
            response = client.post(
                delivery.url,
                content=delivery.payload.encode(),
                headers=headers,
                timeout=settings.timeout_ms / 1000,
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return Attempt(at=now, status=None, error=f"{type(exc).__name__}: {exc}")
        return Attempt(at=now, status=response.status_code)
