"""The local Stripe's iDEAL, SEPA Direct Debit, Bancontact and cards needing authentication."""

from typing import Any

import httpx
import pytest
import stripe
from stripe_support import CHECKOUT_EVENTS, FIXTURES, GOOD_CARD, control

from fakes.stripe_api import FakeStripeServer

pytestmark = pytest.mark.usefixtures("fresh")

GOOD_IBAN = "NL39 RABO 0300 0652 64"
FAILING_IBAN = "NL91ABNA0417164300"
AUTHENTICATION_CARD = "4000 0027 6000 3184"
EUROPEAN_METHODS = ["card", "ideal", "sepa_debit", "bancontact"]


@pytest.fixture
def price(client: stripe.StripeClient) -> stripe.Price:
    return client.v1.prices.create(
        params={"product_data": {"name": "Pro"}, "unit_amount": 2900, "currency": "eur",
                "recurring": {"interval": "month"}}  # fmt: skip
    )


def open_session(client: stripe.StripeClient, price: stripe.Price, methods: Any = None) -> Any:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer_email": "ada@example.com",
            "line_items": [{"price": price.id, "quantity": 1}],
            "payment_method_types": methods or EUROPEAN_METHODS,
            "success_url": "http://shop.test/welcome",
        }
    )


def pay(server: FakeStripeServer, session: Any, status: int = 200, **fields: Any) -> Any:
    return control(server, f"/_test/checkout/sessions/{session.id}/pay", status=status, **fields)


def subscription_of(client: stripe.StripeClient, session: Any) -> stripe.Subscription:
    return client.v1.subscriptions.retrieve(client.v1.checkout.sessions.retrieve(session.id).subscription)


def test_payment_method_types_must_be_enabled_and_in_euro(client, server, price):
    control(server, "/_test/settings", **{"payment_method_types_enabled[]": ["card", "sepa_debit"]})

    with pytest.raises(stripe.InvalidRequestError) as disabled:
        open_session(client, price, ["card", "ideal"])
    assert disabled.value.param == "payment_method_types"
    assert disabled.value.user_message.startswith('The payment method type "ideal" is invalid.')
    dollars = client.v1.prices.create(
        params={"product_data": {"name": "US"}, "unit_amount": 900, "currency": "usd",
                "recurring": {"interval": "month"}}  # fmt: skip
    )
    with pytest.raises(stripe.InvalidRequestError) as currency:
        open_session(client, dollars, ["sepa_debit"])
    assert "sepa_debit" in currency.value.user_message
    assert open_session(client, price, ["card", "sepa_debit"]).payment_method_types == ["card", "sepa_debit"]


def test_hosted_page_offers_each_method_with_stable_ids(client, price):
    page = httpx.get(open_session(client, price).url).text

    for method in EUROPEAN_METHODS:
        assert f'id="method-{method}"' in page
    for field in ("card", "iban", "ideal_bank", "name", "outcome"):
        assert f'id="{field}"' in page
    assert "debit your account" in page


def test_ideal_pays_at_once_and_renews_by_sepa_debit(client, server, receiver, price):
    session = open_session(client, price)

    paid = httpx.post(session.url, data={"payment_method": "ideal", "ideal_bank": "rabobank"})
    assert paid.status_code == 303

    subscription = subscription_of(client, session)
    assert subscription.status == "active"
    assert subscription.payment_settings.payment_method_types == EUROPEAN_METHODS
    assert client.v1.invoices.retrieve(subscription.latest_invoice).status == "paid"
    default = client.v1.payment_methods.retrieve(subscription.default_payment_method)
    assert default.type == "sepa_debit" and default.sepa_debit.last4 == "5264"
    assert default.sepa_debit.generated_from.charge.startswith("ch_")
    methods = client.v1.customers.payment_methods.list(subscription.customer).data
    ideal = next(method for method in methods if method.type == "ideal")
    assert (ideal.ideal.bank, ideal.ideal.bic) == ("rabobank", "RABONL2U")
    assert server.wait_idle()
    assert receiver.types(*CHECKOUT_EVENTS) == CHECKOUT_EVENTS

    control(server, "/_test/clock/advance", days=31)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (renewal.status, renewal.attempted) == ("open", True)
    control(server, "/_test/clock/advance", days=3)
    assert client.v1.invoices.retrieve(renewal.id).status == "paid"


def test_ideal_refused_by_the_bank_creates_nothing(client, server, price):
    session = open_session(client, price)

    page = httpx.post(session.url, data={"payment_method": "ideal", "ideal_bank": "ing", "outcome": "fail"})

    assert page.status_code == 402 and "The payment was not authorized by your bank." in page.text
    assert client.v1.customers.list().data == [] and client.v1.subscriptions.list().data == []


def test_sepa_first_payment_is_processing_until_it_settles(client, server, receiver, price):
    session = open_session(client, price)

    pay(server, session, payment_method="sepa_debit", iban=GOOD_IBAN, name="Ada Visser")

    session = client.v1.checkout.sessions.retrieve(session.id)
    assert (session.status, session.payment_status) == ("complete", "unpaid")
    subscription = client.v1.subscriptions.retrieve(session.subscription)
    assert subscription.status == "incomplete"
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.status, invoice.attempt_count, invoice.attempted) == ("open", 1, True)
    method = client.v1.payment_methods.retrieve(subscription.default_payment_method)
    debit = method.sepa_debit
    assert (debit.country, debit.bank_code, debit.last4) == ("NL", "RABO", "5264")
    control(server, "/_test/clock/advance", days=2)
    assert client.v1.invoices.retrieve(invoice.id).status == "open"

    control(server, "/_test/clock/advance", days=1)

    assert client.v1.invoices.retrieve(invoice.id).status == "paid"
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"
    assert server.wait_idle()
    expected = [
        "customer.created", "customer.subscription.created", "invoice.created", "invoice.finalized",
        "checkout.session.completed", "invoice.paid", "invoice.payment_succeeded",
        "customer.subscription.updated", "checkout.session.async_payment_succeeded",
    ]  # fmt: skip
    assert receiver.types(*expected) == expected
    assert receiver.of_type("customer.subscription.updated")[0].data.object.status == "active"


def test_sepa_first_payment_failing_expires_the_subscription(client, server, receiver, price):
    session = open_session(client, price)
    pay(server, session, payment_method="sepa_debit", iban=FAILING_IBAN, name="Ada Visser")

    control(server, "/_test/clock/advance", days=3)

    subscription = subscription_of(client, session)
    assert subscription.status == "incomplete_expired"
    assert client.v1.invoices.retrieve(subscription.latest_invoice).status == "void"
    assert server.wait_idle()
    assert receiver.types()[-4:] == [
        "invoice.payment_failed", "invoice.voided", "customer.subscription.updated",
        "checkout.session.async_payment_failed",
    ]  # fmt: skip


def test_sepa_renewal_failing_after_two_days_makes_it_past_due(client, server, receiver, price):
    control(server, "/_test/settings", sepa_debit_settlement_days=2)
    session = open_session(client, price)
    pay(server, session, payment_method="sepa_debit", iban="DE89 3704 0044 0532 0130 00", name="Ada")
    control(server, "/_test/clock/advance", days=2)
    subscription = subscription_of(client, session)
    assert subscription.status == "active"
    control(server, f"/_test/customers/{subscription.customer}/fail_next_payment", count=1)
    assert server.wait_idle()
    receiver.clear()

    control(server, "/_test/clock/advance", days=30)
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    assert server.wait_idle()
    assert receiver.types("invoice.payment_failed") == []
    receiver.clear()
    control(server, "/_test/clock/advance", days=2)

    assert client.v1.subscriptions.retrieve(subscription.id).status == "past_due"
    assert server.wait_idle()
    failed = receiver.of_type("invoice.payment_failed")[0]
    assert failed.data.object.next_payment_attempt == failed.created + 3 * 24 * 60 * 60
    assert receiver.types("invoice.payment_failed", "customer.subscription.updated") == [
        "invoice.payment_failed", "customer.subscription.updated",
    ]  # fmt: skip


def test_invalid_iban_is_refused(client, server, price):
    session = open_session(client, price)

    error = pay(server, session, status=400, payment_method="sepa_debit", iban="NL12", name="Ada")

    assert (error["error"]["message"], error["error"]["param"]) == ("Your IBAN is invalid.", "iban")
    assert client.v1.customers.list().data == []


def test_card_needing_authentication_waits_for_the_customer_on_renewal(client, server, receiver, price):
    session = open_session(client, price, ["card"])
    pay(server, session, card=AUTHENTICATION_CARD)
    subscription = subscription_of(client, session)
    assert subscription.status == "active"

    control(server, "/_test/clock/advance", days=31)

    subscription = client.v1.subscriptions.retrieve(subscription.id)
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (subscription.status, invoice.status, invoice.next_payment_attempt) == ("past_due", "open", None)
    assert server.wait_idle()
    assert receiver.types("invoice.payment_action_required", "customer.subscription.updated") == [
        "invoice.payment_action_required", "customer.subscription.updated",
    ]  # fmt: skip
    page = httpx.get(invoice.hosted_invoice_url).text
    assert "Confirm payment" in page and f'action="/invoices/{invoice.id}/pay"' in page
    control(server, "/_test/clock/advance", days=10)
    assert client.v1.invoices.retrieve(invoice.id).attempt_count == 1

    confirmed = httpx.post(f"{server.url}/invoices/{invoice.id}/pay")

    assert confirmed.status_code == 303
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"
    assert client.v1.subscriptions.retrieve(subscription.id).status == "active"
    assert server.wait_idle()
    assert receiver.types()[-3:] == [
        "invoice.paid", "invoice.payment_succeeded", "customer.subscription.updated",
    ]  # fmt: skip
    assert httpx.post(f"{server.url}/_test/invoices/{invoice.id}/pay").status_code == 400


def test_contract_card_payment_method_matches_stripes_fixture(client, server, price):
    session = open_session(client, price, ["card"])
    pay(server, session, card=GOOD_CARD)
    subscription = subscription_of(client, session)

    raw = httpx.get(
        f"{server.url}/v1/payment_methods/{subscription.default_payment_method}",
        headers={"Authorization": "Bearer sk_test_x"},
    ).json()

    assert set(raw) == set(FIXTURES["payment_method"])
    assert set(raw["card"]) == set(FIXTURES["payment_method"]["card"])
    assert set(raw["billing_details"]) == set(FIXTURES["payment_method"]["billing_details"])
    method = client.v1.payment_methods.retrieve(subscription.default_payment_method)
    assert isinstance(method, stripe.PaymentMethod)
    assert (method.type, method.card.brand, method.card.last4, method.customer) == (
        "card", "visa", "4242", subscription.customer,
    )  # fmt: skip


def test_bancontact_pays_at_once_and_leaves_a_sepa_debit_mandate(client, server, price):
    session = open_session(client, price, ["bancontact"])

    pay(server, session, payment_method="bancontact")

    subscription = subscription_of(client, session)
    assert subscription.status == "active"
    default = client.v1.payment_methods.retrieve(subscription.default_payment_method)
    assert default.type == "sepa_debit"
    assert (default.sepa_debit.country, default.sepa_debit.last4) == ("BE", "7034")
    types = sorted(method.type for method in client.v1.customers.payment_methods.list(subscription.customer))
    assert types == ["bancontact", "sepa_debit"]
