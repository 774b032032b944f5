"""In-memory state of the fake Cloudflare API: tokens, zones, their records, injected failures.

All methods are thread-safe (the server answers requests in threads) and hand out copies.
"""

from __future__ import annotations

import copy
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

DEFAULT_TOKEN = "cf-test-token"
DEFAULT_ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353"  # the zone id Cloudflare's docs use
DEFAULT_ZONE_NAME = "example.com"


def timestamp() -> str:
    """Cloudflare's form: ``2014-01-01T05:20:00.12345Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class _Trouble:
    """The next ``remaining`` API requests fail with ``status`` or wait ``seconds`` first."""

    remaining: int
    status: int | None = None
    seconds: float = 0.0


class CloudflareState:
    def __init__(self, tokens: set[str] | None = None, zones: dict[str, str] | None = None):
        self.tokens = set(tokens or {DEFAULT_TOKEN})
        self._zones = dict(zones or {DEFAULT_ZONE_ID: DEFAULT_ZONE_NAME})
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget records, requests and injected failures (tokens and zones stay)."""
        with self._lock:
            self._records: dict[str, dict[str, dict[str, Any]]] = {zone: {} for zone in self._zones}
            self._failures: _Trouble | None = None
            self._stalls: _Trouble | None = None
            self.requests: list[tuple[str, str]] = []

    # Zones and tokens

    def add_zone(self, zone_id: str, name: str) -> None:
        with self._lock:
            self._zones[zone_id] = name
            self._records.setdefault(zone_id, {})

    def zone_name(self, zone_id: str) -> str | None:
        return self._zones.get(zone_id)

    # Injected trouble

    def fail_next(self, status: int, count: int = 1) -> None:
        """Answer the next ``count`` API requests with ``status`` (a 5xx or 429)."""
        with self._lock:
            self._failures = _Trouble(remaining=count, status=status)

    def stall_next(self, seconds: float, count: int = 1) -> None:
        """Wait ``seconds`` before answering each of the next ``count`` API requests."""
        with self._lock:
            self._stalls = _Trouble(remaining=count, seconds=seconds)

    def trouble(self, method: str, path: str) -> tuple[int | None, float]:
        """Count the request; the status it must fail with (if any) and how long to stall."""
        with self._lock:
            self.requests.append((method, path))
            status, seconds = None, 0.0
            if self._stalls and self._stalls.remaining > 0:
                self._stalls.remaining -= 1
                seconds = self._stalls.seconds
            if self._failures and self._failures.remaining > 0:
                self._failures.remaining -= 1
                status = self._failures.status
            return status, seconds

    # Records

    def records(self, zone_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._records.get(zone_id, {}).values()))

    def get(self, zone_id: str, record_id: str) -> dict[str, Any] | None:
        with self._lock:
            return copy.deepcopy(self._records.get(zone_id, {}).get(record_id))

    def put(self, zone_id: str, record: dict[str, Any]) -> dict[str, Any]:
        """Store ``record`` (new when it has no id), stamping ids and times."""
        with self._lock:
            now = timestamp()
            stored = self._records[zone_id]
            record = copy.deepcopy(record)
            earlier = stored.get(record.get("id", ""))
            if earlier is None:
                record["id"], record["created_on"] = uuid.uuid4().hex, now
            else:
                record["created_on"] = earlier["created_on"]
            record["modified_on"] = now
            record.pop("comment_modified_on", None)  # present only while there is a comment
            if record.get("comment"):
                same = earlier is not None and earlier.get("comment") == record["comment"]
                record["comment_modified_on"] = (earlier.get("comment_modified_on", now)
                                                 if same else now)
            stored[record["id"]] = record
            return copy.deepcopy(record)

    def delete(self, zone_id: str, record_id: str) -> bool:
        with self._lock:
            return self._records.get(zone_id, {}).pop(record_id, None) is not None
