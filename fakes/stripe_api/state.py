"""The fake's whole state, shared by the app's views: store, webhooks and their sender."""

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from flask import current_app, request

from .billing import Billing
from .delivery import Sender
from .store import Store
from .webhooks import Webhooks


class FakeStripe:
    def __init__(
        self,
        webhook_urls: Sequence[str] = (),
        webhook_secret: str | None = None,
        connect_webhook_urls: Sequence[str] = (),
        connect_webhook_secret: str | None = None,
    ):
        self.store = Store()
        self.sender = Sender()
        self.webhooks = Webhooks(self.store, self.sender)
        self._configured = [(url, webhook_secret, False) for url in webhook_urls]
        self._configured += [(url, connect_webhook_secret, True) for url in connect_webhook_urls]
        self._register_configured()

    def _register_configured(self) -> None:
        for url, secret, connect in self._configured:
            self.webhooks.register(url, secret=secret, description="configured at start", connect=connect)

    def reset(self) -> None:
        """Forget everything but the endpoints given at start."""
        with self.store.lock:
            self.store.reset()
            self.sender.reset()
            self._register_configured()

    def billing(self) -> Billing:
        """Billing operations for the current request (hosted pages live at its host)."""
        return Billing(self.store, self.webhooks, base_url())

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock and send the events emitted meanwhile as one batch."""
        with self.store.lock, self.webhooks.batch():
            yield


def base_url() -> str:
    """Where the current request reached the fake, e.g. ``http://127.0.0.1:12111``."""
    return request.host_url.rstrip("/")


def fake() -> FakeStripe:
    return current_app.extensions["fake_stripe"]


def atomic(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run a view as one transaction on the fake's state."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with fake().transaction():
            return view(*args, **kwargs)

    return wrapper
