"""What the local Stripe's tests share: its constants, a webhook receiver that verifies
signatures like an app does, the ``/_test`` controls, and Stripe's own example objects."""

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import stripe
from flask import Flask, request
from werkzeug.serving import make_server

from fakes.stripe_api import FakeStripeServer

SECRET = "whsec_test_local"
CONNECT_SECRET = "whsec_test_connect"  # the Connect endpoint's (connected accounts' events)
API_VERSION = "2026-10-28.endive"
GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0341"
DAY = 24 * 60 * 60
CHECKOUT_EVENTS = [
    "customer.subscription.created",
    "invoice.created",
    "invoice.finalized",
    "invoice.paid",
    "invoice.payment_succeeded",
    "checkout.session.completed",
]


class Receiver:
    """A webhook endpoint on a free loopback port that verifies signatures like an app does."""

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.events: list[stripe.Event] = []
        self.failures_left = 0
        self._lock = threading.Lock()
        app = Flask("receiver")
        app.add_url_rule("/hook", view_func=self._hook, methods=["POST"])
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _hook(self) -> tuple[str, int]:
        payload = request.get_data(as_text=True)
        event = stripe.Webhook.construct_event(payload, request.headers["Stripe-Signature"], self.secret)
        with self._lock:
            if self.failures_left:
                self.failures_left -= 1
                return "try again", 500
            self.events.append(event)
        return "", 200

    def types(self, *wanted: str) -> list[str]:
        """Types received, in order, limited to ``wanted`` if given."""
        with self._lock:
            return [e.type for e in self.events if not wanted or e.type in wanted]

    def of_type(self, event_type: str) -> list[stripe.Event]:
        with self._lock:
            return [event for event in self.events if event.type == event_type]

    def clear(self) -> None:
        with self._lock:
            self.events.clear()
            self.failures_left = 0

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

DUTCH_ADDRESS = {"name": "Ada Visser", "line1": "Keizersgracht 1", "postal_code": "1015 CJ",
                 "city": "Amsterdam", "country": "NL"}
# Stripe's example objects (stripe-mock's fixtures3.json, MIT licence): the shapes to match.
FIXTURES = json.loads(Path(__file__).with_name("stripe_fixtures.json").read_text())


def control(server: FakeStripeServer, path: str, status: int = 200, **data: Any) -> Any:
    response = httpx.post(server.url + path, data=data)
    assert response.status_code == status, response.text
    return response.json()
