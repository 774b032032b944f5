"""In-memory state of the fake Stripe: objects, idempotency results and the fake clock.

One re-entrant lock guards everything; the API holds it for the whole of a request so
that every request sees and leaves a consistent state. Objects are kept as the very
Stripe-shaped dicts the API answers with, one table per ``object`` value.

Objects belong to the platform or to a connected account (Stripe Connect). Each thread
acts in a scope (:meth:`Store.scoped`): a ``/v1`` request in its ``Stripe-Account``'s
(``None``: the platform's), where objects of other owners do not exist; the hosted pages,
the ``/_test`` controls and the clock in :data:`EVERYWHERE`, seeing everything. Objects
added in an account's scope belong to that account.
"""

import secrets
import string
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

from .errors import no_such

DAY = 24 * 60 * 60
_ID_ALPHABET = string.ascii_letters + string.digits


class _Everywhere:
    def __repr__(self) -> str:
        return "EVERYWHERE"


EVERYWHERE: Final = _Everywhere()  # the scope that sees every owner's objects
_IN_SCOPE: Final = _Everywhere()  # ``add``'s default owner: the current scope's account


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
        self._local = threading.local()
        self.application = new_id("ca_", 32)  # the platform's Connect application
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.clock_offset = 0.0
            self.settings = BillingSettings()
            self.portal_configuration = new_id("bpc_")
            self._tables: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
            # Per object id, what Stripe knows but does not show (a session's line items...).
            self.internal: dict[str, dict[str, Any]] = defaultdict(dict)
            # Per (Idempotency-Key, acting account, path), the first answer.
            self.idempotent: dict[tuple[str, Any, str], StoredResponse] = {}
            # Per customer id, how many more charges decline (``math.inf``: until a new card).
            self.declines: dict[str, float] = {}
            # Per object id, the connected account owning it (absent: the platform).
            self.owners: dict[str, str] = {}

    def now(self) -> int:
        """Unix seconds on the fake clock: real time plus what the tests advanced."""
        return int(time.time() + self.clock_offset)

    def advance(self, seconds: float) -> int:
        with self.lock:
            self.clock_offset += seconds
            return self.now()

    # Scopes

    @property
    def account(self) -> str | None | _Everywhere:
        """The current thread's scope: an account id, ``None`` (platform) or EVERYWHERE."""
        return getattr(self._local, "account", EVERYWHERE)

    @contextmanager
    def scoped(self, account: str | None | _Everywhere) -> Iterator[None]:
        """Act for ``account`` (``None``: the platform) in the block."""
        before = self.account
        self._local.account = account
        try:
            yield
        finally:
            self._local.account = before

    def owner(self, object_id: str) -> str | None:
        """The connected account owning the object, ``None`` for the platform's."""
        return self.owners.get(object_id)

    def _visible(self, object_id: str) -> bool:
        scope = self.account
        return scope is EVERYWHERE or self.owners.get(object_id) == scope

    # Objects

    def add(self, obj: dict[str, Any], *, account: str | None | _Everywhere = _IN_SCOPE) -> dict[str, Any]:
        """Keep a new object, owned by ``account`` (default: the current scope's)."""
        table = self._tables[obj["object"]]
        if obj["id"] not in table:
            owner = self.account if account is _IN_SCOPE else account
            if isinstance(owner, str):
                self.owners[obj["id"]] = owner
        table[obj["id"]] = obj
        return obj

    def get(self, kind: str, object_id: str, *, everywhere: bool = False) -> dict[str, Any] | None:
        obj = self._tables[kind].get(object_id)
        if obj is None or not (everywhere or self._visible(object_id)):
            return None
        return obj

    def require(
        self, kind: str, object_id: str | None, param: str = "id", *, everywhere: bool = False
    ) -> dict[str, Any]:
        """The object, or Stripe's 404 ``No such customer: 'cus_x'``."""
        obj = self.get(kind, object_id or "", everywhere=everywhere)
        if obj is None:
            raise no_such(kind, object_id or "", param)
        return obj

    def remove(self, kind: str, object_id: str) -> None:
        self._tables[kind].pop(object_id, None)

    def all(self, kind: str, *, everywhere: bool = False) -> list[dict[str, Any]]:
        """Every object of a kind in scope, newest first, as Stripe lists them."""
        objects = reversed(self._tables[kind].values())
        if everywhere or self.account is EVERYWHERE:
            return list(objects)
        return [obj for obj in objects if self._visible(obj["id"])]
