"""In-memory state of the fake Stripe: objects, idempotency results and the fake clock.

One re-entrant lock guards everything; the API holds it for the whole of a request so
that every request sees and leaves a consistent state. Objects are kept as the very
Stripe-shaped dicts the API answers with, one table per ``object`` value.
"""

import secrets
import string
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .errors import no_such

DAY = 24 * 60 * 60
_ID_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """A Stripe-looking id: ``cus_`` + 14 characters, ``in_`` + 24, ``cs_test_`` + 58."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


@dataclass
class BillingSettings:
    """How payments are handled (``POST /_test/settings``)."""

    after_final_failure: str = "unpaid"  # or "cancel"
    retry_schedule_days: list[float] = field(default_factory=lambda: [3, 5, 7])
    sepa_debit_settlement_days: float = 3
    payment_method_types_enabled: list[str] = field(
        default_factory=lambda: ["card", "ideal", "sepa_debit", "bancontact"]
    )


@dataclass(frozen=True)
class StoredResponse:
    """A POST's result kept for replaying a request with the same ``Idempotency-Key``."""

    params: dict[str, Any]
    status: int
    body: bytes


class Store:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.clock_offset = 0.0
            self.settings = BillingSettings()
            self.portal_configuration = new_id("bpc_")
            self._tables: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
            # Per object id, what Stripe knows but does not show (a session's line items...).
            self.internal: dict[str, dict[str, Any]] = defaultdict(dict)
            self.idempotent: dict[tuple[str, str], StoredResponse] = {}
            # Per customer id, how many more charges decline (``math.inf``: until a new card).
            self.declines: dict[str, float] = {}

    def now(self) -> int:
        """Unix seconds on the fake clock: real time plus what the tests advanced."""
        return int(time.time() + self.clock_offset)

    def advance(self, seconds: float) -> int:
        with self.lock:
            self.clock_offset += seconds
            return self.now()

    def add(self, obj: dict[str, Any]) -> dict[str, Any]:
        self._tables[obj["object"]][obj["id"]] = obj
        return obj

    def get(self, kind: str, object_id: str) -> dict[str, Any] | None:
        return self._tables[kind].get(object_id)

    def require(self, kind: str, object_id: str | None, param: str = "id") -> dict[str, Any]:
        """The object, or Stripe's 404 ``No such customer: 'cus_x'``."""
        obj = self._tables[kind].get(object_id or "")
        if obj is None:
            raise no_such(kind, object_id or "", param)
        return obj

    def remove(self, kind: str, object_id: str) -> None:
        self._tables[kind].pop(object_id, None)

    def all(self, kind: str) -> list[dict[str, Any]]:
        """Every object of a kind, newest first, as Stripe lists them."""
        return list(reversed(self._tables[kind].values()))
