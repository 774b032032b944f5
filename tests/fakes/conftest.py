"""The local Stripe, started once per test module, and its webhook receiver (the Cloudflare
and Resend fakes' tests have their own)."""

import pytest
import stripe
from stripe_support import API_VERSION, SECRET, Receiver, control

from fakes.stripe_api import FakeStripeServer, start_in_thread


@pytest.fixture(scope="module")
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def server(receiver: Receiver):
    server = start_in_thread(webhook_url=receiver.url, webhook_secret=SECRET)
    yield server
    server.stop()


@pytest.fixture
def fresh(server: FakeStripeServer, receiver: Receiver):
    """Each test starts from an empty fake with quick webhook retries, and ends delivered."""
    control(server, "/_test/reset")
    control(server, "/_test/delivery", backoff_ms=10)
    receiver.clear()
    yield
    assert server.wait_idle()


@pytest.fixture
def client(server: FakeStripeServer) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_x",
        base_addresses={"api": server.url, "connect": server.url, "files": server.url},
        stripe_version=API_VERSION,
        max_network_retries=2,
    )
