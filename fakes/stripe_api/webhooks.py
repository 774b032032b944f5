"""Events and webhook endpoints: what happened, and who hears about it.

Every change emits an event (kept for ``GET /v1/events``) with a snapshot of the object,
and hands one delivery per matching endpoint to the :class:`~.delivery.Sender`. Events
emitted while a :meth:`Webhooks.batch` is open (one per API call) are sent together, so
``reorder`` can shuffle exactly the events one call caused.

An event about a connected account's objects (or the account itself) names it in
``account``, belongs to it (``GET /v1/events`` with its ``Stripe-Account``) and goes only to
Connect endpoints (``connect=true``); the platform's own events only to the others.
"""

import copy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from . import objects
from .delivery import Delivery, Sender
from .errors import invalid
from .store import Store, new_id

# Event types are named after the object, except subscriptions and tax IDs (``customer.*``).
_EVENT_PREFIX = {
    "subscription": "customer.subscription",
    "tax_id": "customer.tax_id",
    "application": "account.application",
}
_OWNER = object()  # ``emit``'s default account: the object's owner


class Webhooks:
    def __init__(self, store: Store, sender: Sender):
        self._store = store
        self._sender = sender
        self._local = threading.local()

    def register(
        self,
        url: str,
        *,
        secret: str | None = None,
        enabled_events: list[str] | None = None,
        description: str | None = None,
        metadata: dict[str, str] | None = None,
        connect: bool = False,
    ) -> tuple[dict[str, Any], str]:
        """Add an endpoint (``connect``: for connected accounts' events); returns it with its
        signing secret (generated unless given)."""
        if not _is_http_url(url):
            raise invalid(f"Invalid URL: {url}. It must be an http(s) URL.", param="url")
        endpoint = objects.webhook_endpoint(
            url=url,
            enabled_events=enabled_events or ["*"],
            description=description,
            metadata=metadata or {},
            created=self._store.now(),
        )
        secret = secret or new_id("whsec_", 32)
        self._store.add(endpoint)
        self._store.internal[endpoint["id"]].update(secret=secret, connect=connect)
        return endpoint, secret

    def secret(self, endpoint_id: str) -> str:
        return self._store.internal[endpoint_id]["secret"]

    def is_connect(self, endpoint_id: str) -> bool:
        return bool(self._store.internal[endpoint_id].get("connect"))

    def emit(
        self,
        obj: dict[str, Any],
        action: str,
        at: int,
        previous_attributes: dict[str, Any] | None = None,
        *,
        account: Any = _OWNER,
    ) -> dict[str, Any]:
        """Record ``<object>.<action>`` with a snapshot of ``obj`` and queue its deliveries.

        The event is the connected ``account``'s (default: the one owning ``obj``)."""
        event_type = f"{_EVENT_PREFIX.get(obj['object'], obj['object'])}.{action}"
        if account is _OWNER:
            account = obj["id"] if obj["object"] == "account" else self._store.owner(obj["id"])
        endpoints = [
            endpoint
            for endpoint in self._store.all("webhook_endpoint", everywhere=True)
            if endpoint["status"] == "enabled"
            and self.is_connect(endpoint["id"]) == (account is not None)
            and ("*" in endpoint["enabled_events"] or event_type in endpoint["enabled_events"])
        ]
        event = self._store.add(
            objects.event(
                event_type=event_type,
                data_object=copy.deepcopy(obj),
                previous_attributes=copy.deepcopy(previous_attributes),
                pending_webhooks=len(endpoints),
                created=at,
                account=account,
            ),
            account=account,
        )
        payload = json.dumps(event, indent=2)
        deliveries = [
            Delivery(event["id"], endpoint["url"], self.secret(endpoint["id"]), payload)
            for endpoint in endpoints
        ]
        pending = getattr(self._local, "batch", None)
        if pending is None:
            self._sender.submit(deliveries)
        else:
            pending.extend(deliveries)
        return event

    @contextmanager
    def updating(self, obj: dict[str, Any], at: int) -> Iterator[dict[str, Any]]:
        """Emit ``<object>.updated`` with ``previous_attributes`` if the block changed ``obj``."""
        before = copy.deepcopy(obj)
        yield obj
        previous = {key: value for key, value in before.items() if obj.get(key) != value}
        if previous:
            self.emit(obj, "updated", at, previous)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Collect this thread's deliveries and submit them as one batch at the end."""
        if getattr(self._local, "batch", None) is not None:
            yield
            return
        self._local.batch = []
        try:
            yield
        finally:
            deliveries, self._local.batch = self._local.batch, None
            self._sender.submit(deliveries)


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
