"""In-memory state of the fake OpenAI-compatible API.

Everything a test may want to steer or inspect lives here: the accepted API keys and models,
the log of requests received, scripted replies, the behaviour of the next requests (errors,
delays, broken streams) and the pace of streams. All methods are thread-safe, since the server
answers requests in threads.
"""

import copy
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

DEFAULT_API_KEY = "sk-test"
DEFAULT_MODELS = ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1", "gpt-5-mini")
DEFAULT_CHUNK_DELAY_MS = 10
DEFAULT_DELAY_MS = 1000
HANG_SECONDS = 600

MODES = ("ok", "rate_limited", "error", "slow", "hang", "truncated", "malformed")


@dataclass(frozen=True)
class Behaviour:
    """How to answer one chat completion request."""

    mode: str = "ok"
    delay_ms: int = DEFAULT_DELAY_MS


_OK = Behaviour()


class OpenAIState:
    """Requests received plus the knobs the test controls turn.

    ``api_keys``, ``models`` and the initial ``chunk_delay_ms`` are settings: ``reset()`` keeps
    them (and restores ``chunk_delay_ms`` to its initial value).
    """

    def __init__(
        self,
        api_keys: Iterable[str] | None = None,
        models: Iterable[str] | None = None,
        chunk_delay_ms: int | None = None,
        hang_seconds: float = HANG_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_keys = frozenset(api_keys or (DEFAULT_API_KEY,))
        self.models = tuple(models or DEFAULT_MODELS)
        self.hang_seconds = hang_seconds
        self._initial_chunk_delay_ms = (
            DEFAULT_CHUNK_DELAY_MS if chunk_delay_ms is None else chunk_delay_ms
        )
        self._clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self.reset()

    def now(self) -> int:
        return int(self._clock())

    def reset(self) -> None:
        """Forget requests, replies and behaviours; release requests still waiting."""
        self.wake_sleepers()
        with self._lock:
            self._requests: list[dict[str, Any]] = []
            self._replies: deque[str] = deque()
            self._behaviour = _OK
            self._behaviour_remaining = 0
            self.chunk_delay_ms = self._initial_chunk_delay_ms

    # Waiting (``slow``, ``hang`` and the pace of streams)

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less if ``reset()`` or the server's ``stop()`` comes first."""
        if seconds > 0:
            with self._lock:
                wake = self._wake
            wake.wait(seconds)

    def wake_sleepers(self) -> None:
        with self._lock:
            self._wake.set()
            self._wake = threading.Event()

    # Request log

    def record(self, method: str, path: str, body: Any, headers: dict[str, str]) -> int:
        """Log a request; return its index for ``finish()``."""
        with self._lock:
            self._requests.append(
                {
                    "method": method,
                    "path": path,
                    "body": copy.deepcopy(body),
                    "headers": dict(headers),
                    "received_at": self._clock(),
                    "status": None,
                    "finished": False,
                }
            )
            return len(self._requests) - 1

    def finish(self, index: int, status: int) -> None:
        """Mark a logged request answered (for a stream: its last event sent)."""
        with self._lock:
            if index < len(self._requests):
                self._requests[index].update(status=status, finished=True)

    def set_status(self, index: int, status: int) -> None:
        with self._lock:
            if index < len(self._requests):
                self._requests[index]["status"] = status

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Copies of the requests received, oldest first."""
        with self._lock:
            return copy.deepcopy(self._requests)

    # Scripted replies

    def queue_replies(self, contents: Iterable[str]) -> None:
        with self._lock:
            self._replies.extend(contents)

    def next_reply(self) -> str | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None

    # Behaviour of the next requests

    def behave(self, mode: str, times: int = 1, delay_ms: int = DEFAULT_DELAY_MS) -> None:
        """Answer the next ``times`` chat completion requests in ``mode`` (see ``MODES``)."""
        with self._lock:
            self._behaviour = Behaviour(mode, delay_ms)
            self._behaviour_remaining = times

    def next_behaviour(self) -> Behaviour:
        with self._lock:
            if self._behaviour_remaining <= 0:
                return _OK
            self._behaviour_remaining -= 1
            return self._behaviour
