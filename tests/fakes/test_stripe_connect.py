"""Stripe Connect in the local Stripe: connected accounts and their onboarding, the
``Stripe-Account`` scope, Connect webhooks, and one-off Checkout payments on an account
(direct charges with an application fee), with tax rates, shipping and refunds."""

import threading
from typing import Any

import httpx
import pytest
import stripe
from stripe_support import CONNECT_SECRET, DECLINED_CARD, FIXTURES, GOOD_CARD, SECRET, Receiver, control

from fakes.stripe_api import FakeStripeServer, start_in_thread

pytestmark = pytest.mark.usefixtures("fresh")

ADDRESS = {
    "name": "Ada Visser",
    "line1": "Keizersgracht 1",
    "postal_code": "1015 CJ",
    "city": "Amsterdam",
    "country": "NL",
}


@pytest.fixture(scope="module")
def connect_receiver():
    receiver = Receiver(CONNECT_SECRET)
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def server(receiver: Receiver, connect_receiver: Receiver):
    """The local Stripe with a platform endpoint and a Connect endpoint."""
    server = start_in_thread(
        webhook_url=receiver.url,
        webhook_secret=SECRET,
        connect_webhook_url=connect_receiver.url,
        connect_webhook_secret=CONNECT_SECRET,
    )
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _clear_connect(fresh, connect_receiver: Receiver):
    connect_receiver.clear()


def on(account: str, key: str | None = None) -> Any:
    return {"stripe_account": account, **({"idempotency_key": key} if key else {})}


def new_account(client: stripe.StripeClient, name: str = "Bakkerij Visser") -> stripe.Account:
    return client.v1.accounts.create(
        params={
            "type": "standard",
            "country": "NL",
            "email": "shop@example.com",
            "default_currency": "eur",
            "business_profile": {"name": name, "url": "https://visser.example"},
            "metadata": {"tenant_id": "7"},
        }
    )


@pytest.fixture
def shop(client: stripe.StripeClient, server: FakeStripeServer) -> str:
    """A connected account that finished onboarding."""
    account = new_account(client)
    control(
        server,
        f"/_test/accounts/{account.id}",
        charges_enabled="true",
        payouts_enabled="true",
        details_submitted="true",
    )
    return account.id


def vat(client: stripe.StripeClient, account: str, percentage: int, inclusive: bool = True) -> str:
    return client.v1.tax_rates.create(
        params={
            "display_name": "BTW",
            "percentage": percentage,
            "inclusive": inclusive,
            "country": "NL",
            "tax_type": "vat",
            "description": f"BTW {percentage}%",
        },
        options=on(account),
    ).id


def line(name: str, cents: int, quantity: int, *rates: str, **price: Any) -> dict[str, Any]:
    """A ``line_items`` entry with ``price_data`` in euros."""
    data = {"currency": "eur", "unit_amount": cents, "product_data": {"name": name}, **price}
    return {"price_data": data, "quantity": quantity, **({"tax_rates": list(rates)} if rates else {})}


def shipping(name: str, cents: int, **data: Any) -> dict[str, Any]:
    amount = {"amount": cents, "currency": "eur"}
    return {
        "shipping_rate_data": {"type": "fixed_amount", "display_name": name, "fixed_amount": amount, **data}
    }


def open_order(
    client: stripe.StripeClient, account: str, rates: tuple[str, str] | None = None, **extra: Any
) -> stripe.checkout.Session:
    """Two bread at €12.50 (9% VAT included), a mug at €5.00 (21% included), two shipping options."""
    bread, mug = rates or (vat(client, account, 9), vat(client, account, 21))
    params = {
        "mode": "payment",
        "line_items": [
            line("Bread", 1250, 2, bread, tax_behavior="inclusive"),
            line("Mug", 500, 1, mug, tax_behavior="inclusive"),
        ],
        "payment_method_types": ["ideal", "card"],
        "shipping_address_collection": {"allowed_countries": ["NL", "BE"]},
        "shipping_options": [
            shipping("PostNL", 495, tax_behavior="inclusive", metadata={"method": "post"}),
            shipping("Pick up", 0),
        ],
        "payment_intent_data": {
            "application_fee_amount": 90,
            "metadata": {"order_id": "42"},
            "description": "Bakkerij Visser #42",
        },
        "customer_creation": "if_required",
        "locale": "nl",
        "metadata": {"order_id": "42"},
        "client_reference_id": "42",
        "success_url": "http://shop.test/thanks?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/cart",
        **extra,
    }
    return client.v1.checkout.sessions.create(params=params, options=on(account))


def pay(server: FakeStripeServer, session_id: str, status: int = 200, **fields: Any) -> dict:
    fields = {"payment_method": "card", "card": GOOD_CARD, "email": "ada@example.com", **ADDRESS, **fields}
    return control(server, f"/_test/checkout/sessions/{session_id}/pay", status=status, **fields)


def test_accounts_have_stripes_shape_and_updates_reach_only_the_connect_endpoint(
    client, server, receiver, connect_receiver
):
    account = new_account(client)
    raw = httpx.get(f"{server.url}/v1/accounts/{account.id}", auth=("sk_test_x", "")).json()

    assert set(raw) == set(FIXTURES["account"])
    assert set(raw["requirements"]) == set(FIXTURES["account"]["requirements"])
    assert set(raw["settings"]) == set(FIXTURES["account"]["settings"])
    assert account.id.startswith("acct_") and len(account.id) == 21
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    assert account.requirements.currently_due == [
        "external_account",
        "tos_acceptance.date",
        "tos_acceptance.ip",
    ]
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert account.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    assert account.settings.dashboard.display_name == "Bakkerij Visser"
    assert [found.id for found in client.v1.accounts.list().data] == [account.id]

    client.v1.accounts.update(account.id, params={"email": "new@example.com"})
    client.v1.accounts.update(account.id, params={"email": "new@example.com"})  # no change, no event
    assert server.wait_idle()
    updated = connect_receiver.of_type("account.updated")
    assert len(updated) == 1 and updated[0].account == account.id
    assert updated[0].data.previous_attributes.email == "shop@example.com"
    assert receiver.types() == []
    assert client.v1.events.list(options=on(account.id)).data[0].type == "account.updated"
    assert client.v1.events.list().data == []

    endpoint = client.v1.webhook_endpoints.create(
        params={"url": "http://app.test/hooks/connect", "enabled_events": ["payout.paid"], "connect": True}
    )
    listed = httpx.get(f"{server.url}/_test/webhooks").json()["endpoints"]
    assert {(found["id"], found["connect"]) for found in listed} >= {(endpoint.id, True)}

    deleted = client.v1.accounts.delete(account.id)
    assert deleted.to_dict() == {"id": account.id, "object": "account", "deleted": True}
    assert set(deleted.to_dict()) == set(FIXTURES["deleted_account"])
    with pytest.raises(stripe.PermissionError, match="does not have access to account"):
        client.v1.accounts.retrieve(account.id)


def test_onboarding_link_works_once_and_then_sends_to_refresh_url(client, server, connect_receiver):
    account = new_account(client, name="")
    urls = {"return_url": "http://app.test/shop/done", "refresh_url": "http://app.test/shop/again"}
    link = client.v1.account_links.create(
        params={"account": account.id, "type": "account_onboarding", **urls}
    )
    assert set(link.to_dict()) == set(FIXTURES["account_link"])
    assert link.expires_at == link.created + 300 and link.url.startswith(f"{server.url}/connect/onboarding/")

    page = httpx.get(link.url)
    assert page.status_code == 200
    for field in ("business_name", "iban", "outcome"):
        assert f'<label for="{field}"' in page.text and f'id="{field}" name="{field}"' in page.text
    assert "Agree and submit" in page.text and "NL39RABO0300065264" in page.text
    refused = httpx.post(
        link.url, data={"business_name": "Visser", "iban": "nonsense", "outcome": "complete"}
    )
    assert refused.status_code == 400 and "Your IBAN is invalid." in refused.text

    done = httpx.post(link.url, data={"business_name": "Visser", "iban": "NL39 RABO 0300 0652 64"})
    assert (done.status_code, done.headers["location"]) == (303, urls["return_url"])
    account = client.v1.accounts.retrieve(account.id)
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (True, True, True)
    assert account.requirements.currently_due == [] and account.requirements.disabled_reason is None
    assert account.capabilities.card_payments == "active" and account.business_profile.name == "Visser"
    assert account.external_accounts.data[0].last4 == "5264"
    assert httpx.get(link.url).headers["location"] == urls["refresh_url"]
    assert httpx.post(link.url, data={"business_name": "x", "iban": "NL39RABO0300065264"}).status_code == 303

    expiring = client.v1.account_links.create(params={"account": account.id, **urls})
    control(server, "/_test/clock/advance", seconds=301)
    assert httpx.get(expiring.url).headers["location"] == urls["refresh_url"]
    assert httpx.get(f"{server.url}/connect/onboarding/unknown").status_code == 404
    assert server.wait_idle()
    event = connect_receiver.of_type("account.updated")[0]
    assert event.account == account.id and event.data.previous_attributes.charges_enabled is False


def test_pending_verification_keeps_charges_disabled(client, server):
    account = new_account(client)
    link = client.v1.account_links.create(
        params={"account": account.id, "return_url": "http://app.test/r", "refresh_url": "http://app.test/f"}
    )

    httpx.post(link.url, data={"business_name": "Visser", "iban": "NL39RABO0300065264", "outcome": "pending"})

    account = client.v1.accounts.retrieve(account.id)
    assert (account.details_submitted, account.charges_enabled, account.payouts_enabled) == (
        True,
        False,
        False,
    )
    assert account.requirements.disabled_reason == "requirements.pending_verification"
    assert account.requirements.pending_verification
    with pytest.raises(stripe.InvalidRequestError, match="cannot currently make charges") as refused:
        open_order(client, account.id)
    assert refused.value.code == "account_invalid"


def test_unknown_and_deauthorized_accounts_are_out_of_reach(client, server, receiver, connect_receiver, shop):
    with pytest.raises(stripe.PermissionError, match="'acct_nobody'"):
        client.v1.tax_rates.list(options=on("acct_nobody"))

    control(server, f"/_test/accounts/{shop}/deauthorize")

    with pytest.raises(stripe.PermissionError, match="Application access may have been revoked"):
        client.v1.checkout.sessions.list(options=on(shop))
    assert server.wait_idle()
    event = connect_receiver.of_type("account.application.deauthorized")[0]
    assert event.account == shop
    assert event.data.object.to_dict() == {
        "id": event.data.object.id,
        "object": "application",
        "name": "Contyzr",
    }
    assert "account.application.deauthorized" not in receiver.types()


def test_objects_of_one_account_do_not_exist_for_another_nor_the_platform(client, server, shop):
    other = new_account(client, name="Other shop").id
    session = open_order(client, shop)

    for options in (None, on(other)):
        with pytest.raises(stripe.InvalidRequestError) as missing:
            client.v1.checkout.sessions.retrieve(session.id, options=options)
        assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    assert [s.id for s in client.v1.checkout.sessions.list(options=on(shop)).data] == [session.id]
    assert client.v1.checkout.sessions.list(options=on(other)).data == []
    assert client.v1.checkout.sessions.list().data == []
    assert len(client.v1.tax_rates.list(options=on(shop), params={"inclusive": True}).data) == 2
    assert client.v1.tax_rates.list(options=on(other)).data == []
    assert client.v1.tax_rates.list(options=on(shop), params={"active": False}).data == []


def test_payment_session_amounts_with_inclusive_tax_and_shipping(client, shop):
    session = open_order(client, shop)

    raw = session.to_dict()
    assert set(raw) == set(FIXTURES["checkout.session"]) | {"tax_id_collection"}
    assert (session.mode, session.status, session.payment_status) == ("payment", "open", "unpaid")
    assert (session.amount_subtotal, session.amount_total) == (3000, 3495)
    # 2500 incl. 9%: 206; 500 incl. 21%: 87.
    assert session.total_details.to_dict() == {
        "amount_discount": 0,
        "amount_shipping": 495,
        "amount_tax": 293,
    }
    assert [option.shipping_amount for option in session.shipping_options] == [495, 0]
    assert session.shipping_cost is None and session.payment_intent is None
    assert session.collected_information is None and session.customer_details is None
    rate = client.v1.shipping_rates.retrieve(session.shipping_options[0].shipping_rate, options=on(shop))
    assert set(rate.to_dict()) == set(FIXTURES["shipping_rate"]) and rate.metadata.method == "post"

    plain = client.v1.checkout.sessions.line_items.list(session.id, options=on(shop)).data
    assert "taxes" not in plain[0].to_dict()
    items = client.v1.checkout.sessions.line_items.list(
        session.id, params={"expand": ["data.taxes"]}, options=on(shop)
    ).data
    assert set(items[0].to_dict()) == set(FIXTURES["item"]) | {"taxes"}
    assert [(i.description, i.quantity, i.amount_subtotal, i.amount_tax, i.amount_total) for i in items] == [
        ("Bread", 2, 2500, 206, 2500),
        ("Mug", 1, 500, 87, 500),
    ]
    assert items[0].taxes[0].taxable_amount == 2294 and items[0].taxes[0].rate.percentage == 9
    expanded = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["line_items"]}, options=on(shop)
    )
    assert [item.description for item in expanded.line_items.data] == ["Bread", "Mug"]


def test_exclusive_tax_is_added_to_the_total(client, shop):
    rate = vat(client, shop, 21, inclusive=False)
    params = {
        "mode": "payment",
        "success_url": "http://shop.test/ok",
        "line_items": [line("Box", 1000, 3, rate)],
    }

    session = client.v1.checkout.sessions.create(params=params, options=on(shop))

    assert (session.amount_subtotal, session.total_details.amount_tax, session.amount_total) == (
        3000,
        630,
        3630,
    )
    assert session.payment_method_types == ["card"] and session.customer_creation == "if_required"


FEE_REFUSED = "Can only apply an application_fee_amount when the PaymentIntent is attempting"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"line_items": []}, "line_items"),
        ({"line_items": [line("Mug", 500, 0)]}, "must be at least 1"),
        ({"line_items": [line("Mug", 500, 1_000_000)]}, "must be at most 999999"),
        ({"line_items": [line("Mug", -1, 1)]}, "must be at least 0"),
        ({"shipping_options": [shipping("Post", 100)] * 6}, "up to 5 shipping options"),
        ({"subscription_data": {"metadata": {"a": "b"}}}, "subscription_data"),
        ({"platform": True}, FEE_REFUSED),
    ],
)
def test_payment_sessions_are_refused_like_stripe_does(client, shop, change, message):
    params = {"mode": "payment", "success_url": "http://shop.test/ok", "line_items": [line("Mug", 500, 1)],
              "payment_intent_data": {"application_fee_amount": 10}}  # fmt: skip
    options = None if change.get("platform") else on(shop)
    params.update({key: value for key, value in change.items() if key != "platform"})
    with pytest.raises(stripe.InvalidRequestError, match=message):
        client.v1.checkout.sessions.create(params=params, options=options)


def test_hosted_page_pays_a_direct_charge_with_an_application_fee(
    client, server, receiver, connect_receiver, shop
):
    session = open_order(client, shop)
    page = httpx.get(session.url)
    assert page.status_code == 200
    for text in (
        "Bakkerij Visser",
        "Bread",
        "Mug",
        "€30.00",
        "BTW 9% (included)",
        "PostNL",
        ">Pay<",
        'id="method-ideal"',
        'id="method-card"',
        'id="ideal_bank"',
        'id="card"',
        'for="line1"',
        'value="NL" selected',
        "http://shop.test/cart",
    ):
        assert text in page.text, text

    declined = httpx.post(
        session.url,
        data={**ADDRESS, "email": "ada@example.com", "payment_method": "card", "card": "4000 0000 0000 0002"},
    )
    assert declined.status_code == 402 and "Your card was declined." in declined.text
    assert client.v1.payment_intents.list(options=on(shop)).data == []
    form = {**ADDRESS, "email": "ada@example.com", "payment_method": "ideal", "ideal_bank": "rabobank"}
    paid = httpx.post(session.url, data=form)
    assert (
        paid.status_code == 303
        and paid.headers["location"] == f"http://shop.test/thanks?session={session.id}"
    )

    session = client.v1.checkout.sessions.retrieve(session.id, options=on(shop))
    assert (session.status, session.payment_status, session.amount_total) == ("complete", "paid", 3495)
    assert session.customer_details.email == "ada@example.com" and session.customer is None
    assert session.collected_information.shipping_details.address.city == "Amsterdam"
    intent = client.v1.payment_intents.retrieve(
        session.payment_intent, params={"expand": ["latest_charge"]}, options=on(shop)
    )
    charge = intent.latest_charge
    assert (intent.status, intent.amount, intent.application_fee_amount) == ("succeeded", 3495, 90)
    assert intent.metadata.order_id == "42" and intent.description == "Bakkerij Visser #42"
    assert (charge.amount, charge.amount_captured, charge.paid, charge.refunded) == (3495, 3495, True, False)
    assert (
        charge.payment_method_details.type == "ideal"
        and charge.payment_method_details.ideal.bank == "rabobank"
    )
    fees = client.v1.application_fees.list().data
    assert [(fee.id, fee.amount, fee.account, fee.charge) for fee in fees] == [
        (charge.application_fee, 90, shop, charge.id)
    ]
    raw_intent = httpx.get(
        f"{server.url}/v1/payment_intents/{intent.id}",
        auth=("sk_test_x", ""),
        headers={"Stripe-Account": shop},
    ).json()
    assert set(raw_intent) == set(FIXTURES["payment_intent"])
    assert set(charge.to_dict()) == set(FIXTURES["charge"]) - {"refunds", "source"}
    assert set(fees[0].to_dict()) == set(FIXTURES["application_fee"])
    assert server.wait_idle()
    connect_types = connect_receiver.types(
        "checkout.session.completed", "payment_intent.succeeded", "charge.succeeded"
    )
    assert sorted(connect_types) == [
        "charge.succeeded",
        "checkout.session.completed",
        "payment_intent.succeeded",
    ]
    assert {event.account for event in connect_receiver.events} == {shop}
    assert receiver.types() == ["application_fee.created"]


def test_control_pays_with_the_chosen_shipping_option(client, server, shop):
    session = open_order(client, shop, customer_creation="always")
    pickup = session.shipping_options[1].shipping_rate

    with_bad_rate = pay(server, session.id, status=400, shipping_rate="shr_nope")
    assert with_bad_rate["error"]["param"] == "shipping_rate"
    abroad = pay(server, session.id, status=400, country="DE")
    assert abroad["error"]["param"] == "country"
    assert pay(server, session.id, status=402, card=DECLINED_CARD)["error"]["code"] == "card_declined"
    refused = pay(server, session.id, status=402, payment_method="ideal", ideal_bank="ing", outcome="fail")
    assert refused["error"]["message"] == "The payment was not authorized by your bank."
    paid = pay(server, session.id, shipping_rate=pickup)["session"]

    assert paid["amount_total"] == 3000 and paid["total_details"]["amount_shipping"] == 0
    assert paid["shipping_cost"] == {
        "amount_subtotal": 0,
        "amount_tax": 0,
        "amount_total": 0,
        "shipping_rate": pickup,
    }
    fresh = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["shipping_cost.shipping_rate", "payment_intent"]}, options=on(shop)
    )
    assert fresh.shipping_cost.shipping_rate.display_name == "Pick up"
    assert fresh.payment_intent.amount == 3000 and fresh.customer.startswith("cus_")
    assert pay(server, session.id, status=400)["error"]["message"].endswith("can no longer be paid.")


def test_refunds_partial_full_too_large_and_again(client, server, connect_receiver, shop):
    session = open_order(client, shop)
    intent_id = pay(server, session.id)["session"]["payment_intent"]
    key_options = on(shop, "refund-1")

    partial = client.v1.refunds.create(
        params={
            "payment_intent": intent_id,
            "amount": 1000,
            "reason": "requested_by_customer",
            "refund_application_fee": True,
            "metadata": {"order_id": "42"},
        },
        options=key_options,
    )
    again = client.v1.refunds.create(
        params={
            "payment_intent": intent_id,
            "amount": 1000,
            "reason": "requested_by_customer",
            "refund_application_fee": True,
            "metadata": {"order_id": "42"},
        },
        options=key_options,
    )
    assert again.id == partial.id
    assert set(partial.to_dict()) == set(FIXTURES["refund"])
    assert (partial.amount, partial.status, partial.payment_intent) == (1000, "succeeded", intent_id)
    charge = client.v1.charges.retrieve(partial.charge, options=on(shop))
    assert (charge.amount_refunded, charge.refunded) == (1000, False)
    fee = client.v1.application_fees.retrieve(charge.application_fee)
    assert (fee.amount_refunded, fee.refunded) == (26, False)  # 90 × 1000 / 3495

    with pytest.raises(stripe.InvalidRequestError) as too_large:
        client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 2496}, options=on(shop))
    assert too_large.value.code == "amount_too_large"
    assert too_large.value.user_message == (
        "Refund amount (€24.96) is greater than unrefunded amount on charge (€24.95)"
    )
    with pytest.raises(stripe.InvalidRequestError, match="at least 1"):
        client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 0}, options=on(shop))
    rest = client.v1.refunds.create(
        params={"charge": charge.id, "refund_application_fee": True}, options=on(shop)
    )
    assert rest.amount == 2495
    with pytest.raises(
        stripe.InvalidRequestError, match=f"Charge {charge.id} has already been refunded."
    ) as done:
        client.v1.refunds.create(params={"payment_intent": intent_id}, options=on(shop))
    assert done.value.code == "charge_already_refunded"

    assert client.v1.charges.retrieve(charge.id, options=on(shop)).refunded is True
    assert client.v1.application_fees.retrieve(fee.id).to_dict()["amount_refunded"] == 90
    listed = client.v1.refunds.list(params={"payment_intent": intent_id}, options=on(shop)).data
    assert [made.id for made in listed] == [rest.id, partial.id]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.retrieve(rest.id)
    assert server.wait_idle()
    assert (
        connect_receiver.types("refund.created", "charge.refunded")
        == ["refund.created", "charge.refunded"] * 2
    )


def test_sessions_expire_on_request_and_on_the_clock(client, server, connect_receiver, shop):
    session = open_order(client, shop)
    expired = client.v1.checkout.sessions.expire(session.id, options=on(shop))
    later = open_order(client, shop)

    control(server, "/_test/clock/advance", days=1.01)

    assert expired.status == "expired"
    assert client.v1.checkout.sessions.retrieve(later.id, options=on(shop)).status == "expired"
    assert server.wait_idle()
    events = connect_receiver.of_type("checkout.session.expired")
    assert [event.data.object.id for event in events] == [session.id, later.id]
    assert {event.account for event in events} == {shop}


def test_fifty_sessions_paid_from_threads(client, server, shop):
    rates = (vat(client, shop, 9), vat(client, shop, 21))
    sessions = [open_order(client, shop, rates).id for _ in range(50)]
    failures: list[BaseException] = []

    def pay_one(http: httpx.Client, session_id: str) -> None:
        try:
            response = http.post(
                f"/_test/checkout/sessions/{session_id}/pay",
                data={"card": GOOD_CARD, "email": "ada@example.com", **ADDRESS},
            )
            assert response.status_code == 200, response.text
        except BaseException as failure:  # reported below
            failures.append(failure)

    with httpx.Client(base_url=server.url, timeout=30) as http:
        threads = [threading.Thread(target=pay_one, args=(http, session_id)) for session_id in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert failures == []
    paid = client.v1.checkout.sessions.list(
        params={"status": "complete", "limit": 100}, options=on(shop)
    ).data
    assert len(paid) == 50 and len({session.payment_intent for session in paid}) == 50
    assert len(client.v1.application_fees.list(params={"limit": 100}).data) == 50


def test_a_subscription_checkout_on_an_account_stays_on_the_account(client, server, connect_receiver, shop):
    price = client.v1.prices.create(
        params={
            "product_data": {"name": "Bread club"},
            "unit_amount": 900,
            "currency": "eur",
            "recurring": {"interval": "month"},
        },
        options=on(shop),
    )
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price.id, "quantity": 1}],
            "customer_email": "ada@example.com",
            "success_url": "http://shop.test/ok",
        },
        options=on(shop),
    )

    subscription_id = pay(server, session.id)["session"]["subscription"]

    assert client.v1.subscriptions.retrieve(subscription_id, options=on(shop)).status == "active"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.retrieve(subscription_id)
    assert client.v1.invoices.list(options=on(shop)).data[0].amount_paid == 900
    assert server.wait_idle()
    assert "invoice.paid" in connect_receiver.types()
