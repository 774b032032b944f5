"""The local Stripe fake, driven through the real ``stripe`` library and a webhook receiver."""

from typing import Any

import httpx
import pytest
import stripe
from stripe_support import API_VERSION, CHECKOUT_EVENTS, DAY, DECLINED_CARD, GOOD_CARD, SECRET, control

from fakes.stripe_api import FakeStripeServer

pytestmark = pytest.mark.usefixtures("fresh")

@pytest.fixture
def prices(client: stripe.StripeClient) -> dict[str, stripe.Price]:
    plans = {"pro_monthly": ("Pro", 1900), "team_monthly": ("Team", 4900)}
    return {
        lookup_key: client.v1.prices.create(
            params={
                "product_data": {"name": name},
                "unit_amount": amount,
                "currency": "eur",
                "recurring": {"interval": "month"},
                "lookup_key": lookup_key,
            }
        )
        for lookup_key, (name, amount) in plans.items()
    }


def open_checkout(client: stripe.StripeClient, price: stripe.Price) -> stripe.checkout.Session:
    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    return client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer.id,
            "line_items": [{"price": price.id, "quantity": 1}],
            "client_reference_id": "signup-7",
            "metadata": {"signup_id": "7"},
            "subscription_data": {"metadata": {"signup_id": "7"}},
            "success_url": "http://shop.test/welcome?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://shop.test/pricing",
        }
    )


def subscribe(
    client: stripe.StripeClient, server: FakeStripeServer, price: stripe.Price
) -> stripe.Subscription:
    session = open_checkout(client, price)
    control(server, f"/_test/checkout/sessions/{session.id}/pay", card=GOOD_CARD)
    session = client.v1.checkout.sessions.retrieve(session.id)
    return client.v1.subscriptions.retrieve(session.subscription)


def test_prices_are_listed_by_lookup_key(client, prices):
    listed = client.v1.prices.list(params={"lookup_keys": ["team_monthly"], "expand": ["data.product"]})

    assert [price.id for price in listed.data] == [prices["team_monthly"].id]
    assert listed.data[0].product.name == "Team"
    assert listed.data[0].recurring.interval == "month"


def test_customer_create_is_idempotent(client):
    options: Any = {"idempotency_key": "signup-42"}
    first = client.v1.customers.create(params={"email": "ada@example.com"}, options=options)
    again = client.v1.customers.create(params={"email": "ada@example.com"}, options=options)

    assert again.id == first.id
    assert len(client.v1.customers.list(params={"email": "ada@example.com"}).data) == 1
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create(params={"email": "bob@example.com"}, options=options)


def test_checkout_on_hosted_page_redirects_and_emits_signed_events(client, server, receiver, prices):
    session = open_checkout(client, prices["pro_monthly"])
    assert session.url == f"{server.url}/checkout/pay/{session.id}"
    assert (session.status, session.payment_status) == ("open", "unpaid")

    page = httpx.get(session.url)
    assert page.status_code == 200
    assert "€19.00" in page.text and "month" in page.text

    paid = httpx.post(session.url, data={"card": GOOD_CARD})
    assert paid.status_code == 303
    assert paid.headers["location"] == f"http://shop.test/welcome?session={session.id}"

    session = client.v1.checkout.sessions.retrieve(session.id)
    assert (session.status, session.payment_status) == ("complete", "paid")
    assert session.subscription.startswith("sub_")
    assert server.wait_idle()
    assert receiver.types(*CHECKOUT_EVENTS) == CHECKOUT_EVENTS
    completed = receiver.of_type("checkout.session.completed")[0].data.object
    assert completed.client_reference_id == "signup-7"
    assert completed.subscription == session.subscription


def test_declined_card_creates_no_subscription(client, server, prices):
    session = open_checkout(client, prices["pro_monthly"])

    page = httpx.post(session.url, data={"card": DECLINED_CARD})
    assert page.status_code == 402
    assert "Your card was declined." in page.text
    error = control(server, f"/_test/checkout/sessions/{session.id}/pay", status=402, card=DECLINED_CARD)
    assert error["error"]["code"] == "card_declined"

    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert client.v1.subscriptions.list(params={"customer": session.customer}).data == []


def test_subscription_and_invoice_have_the_current_api_shapes(client, server, prices):
    subscription = subscribe(client, server, prices["pro_monthly"])

    item = subscription["items"].data[0]
    assert subscription.status == "active"
    assert subscription.metadata.to_dict() == {"signup_id": "7"}
    assert subscription.cancel_at_period_end is False
    assert item.price.id == prices["pro_monthly"].id
    assert 28 * DAY <= item.current_period_end - item.current_period_start <= 31 * DAY
    assert "current_period_end" not in subscription

    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.status, invoice.billing_reason) == ("paid", "subscription_create")
    assert invoice.amount_paid == 1900
    assert invoice.parent.type == "subscription_details"
    assert invoice.parent.subscription_details.subscription == subscription.id
    assert invoice.parent.subscription_details.metadata.to_dict() == {"signup_id": "7"}
    line = invoice.lines.data[0]
    assert line.pricing.price_details.price == prices["pro_monthly"].id
    assert httpx.get(invoice.hosted_invoice_url).status_code == 200
    assert httpx.get(invoice.invoice_pdf).content.startswith(b"%PDF")


def test_portal_plan_change_updates_the_subscription(client, server, receiver, prices):
    subscription = subscribe(client, server, prices["pro_monthly"])
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": subscription.customer, "return_url": "http://shop.test/account"}
    )

    page = httpx.get(portal.url)
    assert "Pro" in page.text and "http://shop.test/account" in page.text
    changed = httpx.post(
        f"{portal.url}/plan",
        data={"subscription": subscription.id, "price": prices["team_monthly"].id},
    )
    assert changed.status_code == 303

    updated = client.v1.subscriptions.retrieve(subscription.id)
    assert updated["items"].data[0].price.id == prices["team_monthly"].id
    assert server.wait_idle()
    event = receiver.of_type("customer.subscription.updated")[-1]
    previous_items = event.data.previous_attributes["items"]
    assert previous_items.data[0].price.id == prices["pro_monthly"].id


def test_cancel_at_period_end_deletes_when_the_period_ends(client, server, receiver, prices):
    subscription = subscribe(client, server, prices["pro_monthly"])
    client.v1.subscriptions.update(subscription.id, params={"cancel_at_period_end": True})

    control(server, "/_test/clock/advance", days=32)

    canceled = client.v1.subscriptions.retrieve(subscription.id)
    assert canceled.status == "canceled"
    assert canceled.cancellation_details.reason == "cancellation_requested"
    assert server.wait_idle()
    assert receiver.types("customer.subscription.updated", "customer.subscription.deleted") == [
        "customer.subscription.updated",
        "customer.subscription.deleted",
    ]


def test_failed_renewal_is_retried_then_paid_with_a_new_card(client, server, receiver, prices):
    subscription = subscribe(client, server, prices["pro_monthly"])
    control(server, f"/_test/customers/{subscription.customer}/fail_next_payment")

    control(server, "/_test/clock/advance", days=31)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"
    control(server, "/_test/clock/advance", days=3)
    assert server.wait_idle()
    failures = receiver.of_type("invoice.payment_failed")
    assert [event.data.object.attempt_count for event in failures] == [1, 2]
    assert failures[-1].data.object.next_payment_attempt is not None

    control(server, f"/_test/customers/{subscription.customer}/pay_open_invoices", card=GOOD_CARD)

    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    assert server.wait_idle()
    renewal = receiver.of_type("invoice.paid")[-1].data.object
    assert renewal.billing_reason == "subscription_cycle"
    statuses = [e.data.object.status for e in receiver.of_type("customer.subscription.updated")]
    assert statuses == ["past_due", "active"]


def test_final_failure_cancels_when_configured(client, server, receiver, prices):
    control(server, "/_test/settings", after_final_failure="cancel")
    subscription = subscribe(client, server, prices["pro_monthly"])
    control(server, f"/_test/customers/{subscription.customer}/fail_next_payment")

    control(server, "/_test/clock/advance", days=31 + 3 + 5 + 7)

    canceled = client.v1.subscriptions.retrieve(subscription.id)
    assert canceled.status == "canceled"
    assert canceled.cancellation_details.reason == "payment_failed"
    assert server.wait_idle()
    assert len(receiver.of_type("invoice.payment_failed")) == 4
    assert receiver.types()[-1] == "customer.subscription.deleted"


def test_delivery_is_retried_after_an_error(client, server, receiver):
    receiver.failures_left = 1
    customer = client.v1.customers.create(params={"email": "ada@example.com"})

    assert server.wait_idle()
    assert [event.data.object.id for event in receiver.of_type("customer.created")] == [customer.id]
    logged = httpx.get(f"{server.url}/_test/events").json()["events"][0]
    delivery = logged["deliveries"][0]
    assert delivery["outcome"] == "delivered"
    assert [attempt["status"] for attempt in delivery["attempts"]] == [500, 200]


def test_duplicate_rate_delivers_events_twice(client, server, receiver):
    control(server, "/_test/delivery", duplicate_rate=1)
    client.v1.customers.create(params={"email": "ada@example.com"})

    assert server.wait_idle()
    created = receiver.of_type("customer.created")
    assert len(created) == 2
    assert created[0].id == created[1].id


def test_errors_come_in_stripe_shape(client, server, prices):
    with pytest.raises(stripe.InvalidRequestError) as unknown_price:
        client.v1.checkout.sessions.create(
            params={
                "mode": "subscription",
                "line_items": [{"price": "price_missing", "quantity": 1}],
                "success_url": "http://shop.test/welcome",
            }
        )
    assert unknown_price.value.http_status == 400
    assert unknown_price.value.param == "line_items[0][price]"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.customers.retrieve("cus_missing")
    assert missing.value.http_status == 404
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("pk_test_x", base_addresses={"api": server.url}).v1.customers.list()

    malformed = httpx.post(
        f"{server.url}/v1/prices",
        headers={"Authorization": "Bearer sk_test_x"},
        content="unit_amount=abc&currency=eur&product_data[name]=X&recurring=monthly",
    )
    assert malformed.status_code == 400
    assert malformed.json()["error"]["type"] == "invalid_request_error"
    unknown_route = httpx.get(f"{server.url}/v1/nothing", headers={"Authorization": "Bearer sk_test_x"})
    assert unknown_route.status_code == 404
    assert "Unrecognized request URL" in unknown_route.json()["error"]["message"]


def test_fail_first_rate_makes_the_first_attempt_fail(client, server, receiver):
    control(server, "/_test/delivery", fail_first_rate=1)
    client.v1.customers.create(params={"email": "ada@example.com"})

    assert server.wait_idle()
    assert len(receiver.of_type("customer.created")) == 1
    delivery = httpx.get(f"{server.url}/_test/events").json()["events"][0]["deliveries"][0]
    assert [attempt["status"] for attempt in delivery["attempts"]] == [None, 200]


def test_expired_checkout_is_announced_and_listed(client, server, receiver, prices):
    session = open_checkout(client, prices["pro_monthly"])

    expired = client.v1.checkout.sessions.expire(session.id)

    assert expired.status == "expired"
    assert httpx.post(session.url, data={"card": GOOD_CARD}).status_code == 400
    listed = client.v1.events.list(params={"type": "checkout.session.expired"})
    assert [event.data.object.id for event in listed.data] == [session.id]
    assert client.v1.events.retrieve(listed.data[0].id).type == "checkout.session.expired"
    assert server.wait_idle()
    assert receiver.types("checkout.session.expired") == ["checkout.session.expired"]


def test_delivery_threads_send_events_concurrently():
    """Real Stripe delivers concurrently: with ``threads=4`` four deliveries are in flight at
    once (each holds its request until all four have arrived); one thread would never get
    there."""
    import threading

    from flask import Flask
    from werkzeug.serving import make_server

    from fakes.stripe_api import start_in_thread

    together = threading.Barrier(4, timeout=10)
    met = []
    hook = Flask("barrier")

    @hook.post("/hook")
    def arrive():
        try:
            together.wait()
        except threading.BrokenBarrierError:
            return "alone", 500
        met.append(1)
        return "", 200

    http = make_server("127.0.0.1", 0, hook, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    fake = start_in_thread(webhook_url=f"http://127.0.0.1:{http.server_port}/hook", webhook_secret=SECRET)
    try:
        assert control(fake, "/_test/delivery", threads=4)["threads"] == 4
        control(fake, "/_test/delivery", threads=65, status=400)
        stripe_client = stripe.StripeClient("sk_test_x", base_addresses={"api": fake.url},
                                            stripe_version=API_VERSION)
        for n in range(4):
            stripe_client.v1.customers.create(params={"email": f"c{n}@example.com"})
        assert fake.wait_idle(20)
        assert len(met) == 4 and not together.broken
    finally:
        fake.stop()
        http.shutdown()
