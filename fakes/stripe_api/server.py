"""Run the fake Stripe on a loopback port in a background thread (for tests and scripts).

server = start_in_thread(webhook_url="http://127.0.0.1:5000/webhooks/stripe",
                         webhook_secret="whsec_test",
                         connect_webhook_url="http://127.0.0.1:5000/webhooks/stripe-connect",
                         connect_webhook_secret="whsec_connect")
client = stripe.StripeClient("sk_test_x", base_addresses={"api": server.url})
client.v1.checkout.sessions.create(params, options={"stripe_account": "acct_..."})
...
server.wait_idle()
server.stop()
"""

from collections.abc import Sequence

from flask import Flask

from fakes.serving import ThreadedFake

from .api import create_app
from .state import FakeStripe


class FakeStripeServer(ThreadedFake):
    """A running fake: ``url``, the Flask ``app`` and its ``state``."""

    def __init__(self, app: Flask, host: str, port: int):
        self.app = app
        self.state: FakeStripe = app.extensions["fake_stripe"]
        super().__init__(app, host, port, "fake-stripe-http")

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every webhook was delivered (or gave up); False on timeout."""
        return self.state.sender.wait_idle(timeout)

    def stop(self) -> None:
        super().stop()
        self.state.sender.stop()


def start_in_thread(
    webhook_url: str | Sequence[str] | None = None,
    webhook_secret: str | None = None,
    port: int = 0,
    host: str = "127.0.0.1",
    connect_webhook_url: str | Sequence[str] | None = None,
    connect_webhook_secret: str | None = None,
) -> FakeStripeServer:
    """Serve :func:`~.api.create_app` on ``host:port`` (0: a free port), threaded."""
    app = create_app(
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        connect_webhook_url=connect_webhook_url,
        connect_webhook_secret=connect_webhook_secret,
    )
    return FakeStripeServer(app, host, port)
