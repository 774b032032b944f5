"""The local Stripe's coupons, promotion codes, billing portal configurations and trials."""

from typing import Any

import httpx
import pytest
import stripe
from stripe_support import DUTCH_ADDRESS, GOOD_CARD, control

from fakes.stripe_api import FakeStripeServer

pytestmark = pytest.mark.usefixtures("fresh")



def make_price(
    client: stripe.StripeClient, name: str = "Pro", amount: int = 2000, **extra: Any
) -> stripe.Price:
    return client.v1.prices.create(
        params={
            "product_data": {"name": name},
            "unit_amount": amount,
            "currency": "eur",
            "recurring": {"interval": "month"},
            "tax_behavior": "exclusive",
            **extra,
        }  # fmt: skip
    )


def open_session(client: stripe.StripeClient, price: stripe.Price, **extra: Any) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer_email": "ada@example.com",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": "http://shop.test/welcome",
            **extra,
        }  # fmt: skip
    )


def pay(server: FakeStripeServer, session: Any, status: int = 200, **fields: Any) -> Any:
    form = {"card": GOOD_CARD, **DUTCH_ADDRESS, **fields}
    return control(server, f"/_test/checkout/sessions/{session.id}/pay", status=status, **form)


def subscription_of(client: stripe.StripeClient, session_id: str) -> stripe.Subscription:
    return client.v1.subscriptions.retrieve(client.v1.checkout.sessions.retrieve(session_id).subscription)


def latest_invoice(client: stripe.StripeClient, subscription_id: str) -> stripe.Invoice:
    return client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription_id).latest_invoice)


def test_coupon_crud(client):
    coupon = client.v1.coupons.create(params={"id": "LAUNCH", "percent_off": 25, "duration": "repeating",
                                              "duration_in_months": 3, "name": "Launch"})  # fmt: skip
    assert (coupon.id, coupon.percent_off, coupon.duration_in_months, coupon.valid) == ("LAUNCH", 25, 3, True)
    fixed = client.v1.coupons.create(params={"amount_off": 500, "currency": "EUR", "duration": "forever"})
    assert (fixed.amount_off, fixed.currency, fixed.percent_off) == (500, "eur", None)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.coupons.create(params={"percent_off": 10, "amount_off": 100, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.coupons.create(params={"percent_off": 10, "duration": "repeating"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.coupons.create(params={"id": "LAUNCH", "percent_off": 5})
    renamed = client.v1.coupons.update(
        "LAUNCH", params={"name": "Launch week", "metadata": {"team": "growth"}}
    )
    assert (renamed.name, renamed.metadata["team"]) == ("Launch week", "growth")
    assert {c.id for c in client.v1.coupons.list().data} == {"LAUNCH", fixed.id}
    assert client.v1.coupons.delete(fixed.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.coupons.retrieve(fixed.id)


def test_promotion_codes_create_list_update(client):
    coupon = client.v1.coupons.create(params={"percent_off": 10})
    promo = client.v1.promotion_codes.create(params={
        "promotion": {"type": "coupon", "coupon": coupon.id}, "code": "SPRING", "max_redemptions": 5,
        "restrictions": {"first_time_transaction": True},
    })  # fmt: skip
    assert (promo.code, promo.active, promo.promotion.coupon, promo.max_redemptions) == (
        "SPRING", True, coupon.id, 5,
    )  # fmt: skip
    assert promo.restrictions.first_time_transaction is True
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": coupon.id},
                                                 "code": "spring"})  # fmt: skip
    assert [p.id for p in client.v1.promotion_codes.list(params={"code": "SPRING"}).data] == [promo.id]
    client.v1.promotion_codes.update(promo.id, params={"active": False})
    assert client.v1.promotion_codes.list(params={"active": True}).data == []
    assert client.v1.promotion_codes.retrieve(promo.id).active is False


def test_promotion_code_on_the_hosted_checkout_discounts_then_expires(client, server):
    price = make_price(client)
    coupon = client.v1.coupons.create(
        params={"percent_off": 50, "duration": "repeating", "duration_in_months": 2}
    )
    client.v1.promotion_codes.create(
        params={"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "HALF"}
    )
    session = open_session(client, price, allow_promotion_codes=True, automatic_tax={"enabled": True})
    page = httpx.get(session.url).text
    assert 'id="promotion_code"' in page and "Promotion code" in page

    refused = httpx.post(session.url, data={"card": GOOD_CARD, **DUTCH_ADDRESS, "promotion_code": "NOPE"})
    assert refused.status_code == 400 and "This code is invalid." in refused.text
    error = pay(server, session, status=400, promotion_code="NOPE")["error"]
    assert (error["code"], error["message"]) == ("promotion_code_invalid", "This code is invalid.")
    assert client.v1.customers.list().data == []

    pay(server, session, promotion_code="half")

    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.total_details.amount_discount, done.amount_total) == (1000, 1210)
    assert done.discounts[0].promotion_code is not None
    subscription = client.v1.subscriptions.retrieve(done.subscription)
    invoice = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (2000, 1210, 1210)
    assert invoice.total_taxes[0].amount == 210 and invoice.lines.data[0].taxes[0].taxable_amount == 1000
    assert invoice.total_discount_amounts[0].amount == 1000
    assert (
        "Discount" in httpx.get(invoice.hosted_invoice_url).text
        and "-€10.00" in httpx.get(invoice.hosted_invoice_url).text
    )
    assert b"Discount: -" in httpx.get(invoice.invoice_pdf).content
    assert invoice.lines.data[0].discount_amounts[0].discount == invoice.discounts[0]
    discount = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["discounts"]}).discounts[
        0
    ]
    assert (discount.source.coupon, discount.subscription) == (coupon.id, subscription.id)

    control(server, "/_test/clock/advance", days=31)
    assert latest_invoice(client, subscription.id).amount_paid == 1210
    control(server, "/_test/clock/advance", days=31)
    assert latest_invoice(client, subscription.id).amount_paid == 2420
    assert client.v1.subscriptions.retrieve(subscription.id).discounts == []
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1


@pytest.mark.parametrize("problem", ["inactive", "expired", "exhausted", "first_time"])
def test_unusable_codes_are_refused(client, server, problem):
    price = make_price(client)
    coupon = client.v1.coupons.create(params={"percent_off": 10})
    now = control(server, "/_test/clock/advance")["now"]
    params: dict[str, Any] = {"promotion": {"type": "coupon", "coupon": coupon.id}, "code": "TEN"}
    params |= {"inactive": {"active": False}, "expired": {"expires_at": now + 60},
               "exhausted": {"max_redemptions": 1},
               "first_time": {"restrictions": {"first_time_transaction": True}}}[problem]  # fmt: skip
    client.v1.promotion_codes.create(params=params)
    customer = None
    if problem in ("exhausted", "first_time"):
        session = open_session(client, price, allow_promotion_codes=True)
        pay(server, session, promotion_code="TEN" if problem == "exhausted" else "")
        customer = client.v1.checkout.sessions.retrieve(session.id).customer
    if problem == "expired":
        control(server, "/_test/clock/advance", seconds=120)
    extra: dict[str, Any] = {"customer": customer} if customer else {"customer_email": "bob@example.com"}
    session = client.v1.checkout.sessions.create(params={
        "mode": "subscription", "line_items": [{"price": price.id}], "allow_promotion_codes": True,
        "success_url": "http://shop.test/welcome", **extra,
    })  # fmt: skip
    error = pay(server, session, status=400, promotion_code="TEN")["error"]
    assert error["message"] == "This code is invalid."
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_discounts_on_session_create_and_subscription_update(client, server):
    price = make_price(client)
    once = client.v1.coupons.create(params={"amount_off": 500, "currency": "eur", "duration": "once"})
    session = open_session(client, price, discounts=[{"coupon": once.id}])
    pay(server, session)
    subscription = subscription_of(client, session.id)
    assert latest_invoice(client, subscription.id).amount_paid == 1500
    with pytest.raises(stripe.InvalidRequestError):
        open_session(client, price, discounts=[{"coupon": once.id}], allow_promotion_codes=True)

    forever = client.v1.coupons.create(params={"percent_off": 10, "duration": "forever"})
    promo = client.v1.promotion_codes.create(params={"promotion": {"type": "coupon", "coupon": forever.id}})
    updated = client.v1.subscriptions.update(
        subscription.id, params={"discounts": [{"promotion_code": promo.id}]}
    )
    assert len(updated.discounts) == 1
    preview = client.v1.invoices.create_preview(params={"subscription": subscription.id})
    assert preview.total_discount_amounts[0].amount == 200
    control(server, "/_test/clock/advance", days=31)
    assert latest_invoice(client, subscription.id).amount_paid == 1800 == preview.amount_due
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.update(subscription.id, params={"discounts": [{"coupon": "missing"}]})


def test_portal_configuration_limits_plans_and_collects_feedback(client, server):
    pro, team = make_price(client, "Pro", 2000), make_price(client, "Team", 5000)
    other = make_price(client, "Legacy", 1000, lookup_key="legacy")
    session = open_session(client, pro)
    pay(server, session)
    subscription = subscription_of(client, session.id)
    account_default = client.v1.billing_portal.configurations.list(params={"is_default": True}).data[0]
    assert account_default.features.subscription_update.products is None

    config = client.v1.billing_portal.configurations.create(params={
        "features": {
            "subscription_update": {"enabled": True, "default_allowed_updates": ["price"],
                                    "proration_behavior": "always_invoice",
                                    "products": [{"product": pro.product, "prices": [pro.id]},
                                                 {"product": team.product, "prices": [team.id]}]},
            "subscription_cancel": {"enabled": True, "mode": "at_period_end",
                                    "cancellation_reason": {"enabled": True,
                                                            "options": ["too_expensive", "unused"]}},
            "payment_method_update": {"enabled": False},
            "invoice_history": {"enabled": True},
        },
        "business_profile": {"headline": "Acme billing"},
        "default_return_url": "http://shop.test/account",
        "is_default": True,
    })  # fmt: skip
    assert config.is_default is True
    assert client.v1.billing_portal.configurations.retrieve(account_default.id).is_default is False
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.billing_portal.configurations.create(params={"features": {"subscription_cancel": {
            "cancellation_reason": {"enabled": True, "options": ["bored"]}}}})  # fmt: skip

    portal = client.v1.billing_portal.sessions.create(params={"customer": subscription.customer})
    assert (portal.configuration, portal.return_url) == (config.id, "http://shop.test/account")
    page = httpx.get(portal.url).text
    assert "Acme billing" in page and team.id in page and other.id not in page
    assert 'name="feedback"' in page and "too_expensive" in page and "missing_features" not in page
    assert 'name="card"' not in page

    refused = httpx.post(f"{portal.url}/plan", data={"subscription": subscription.id, "price": other.id})
    assert refused.status_code == 400
    changed = httpx.post(f"{portal.url}/plan", data={"subscription": subscription.id, "price": team.id})
    assert changed.status_code == 303
    upgraded = client.v1.subscriptions.retrieve(subscription.id)
    assert upgraded["items"].data[0].price.id == team.id
    assert client.v1.invoices.retrieve(upgraded.latest_invoice).billing_reason == "subscription_update"

    canceled = httpx.post(
        f"{portal.url}/cancel", data={"subscription": subscription.id, "feedback": "unused"}
    )
    assert canceled.status_code == 303
    details = client.v1.subscriptions.retrieve(subscription.id).cancellation_details
    assert (details.feedback, details.reason) == ("unused", "cancellation_requested")


def test_trial_with_a_card_becomes_active_and_is_charged(client, server, receiver):
    price = make_price(client)
    session = open_session(client, price, subscription_data={"trial_period_days": 14})
    assert "14 days free" in httpx.get(session.url).text

    pay(server, session)

    subscription = subscription_of(client, session.id)
    assert subscription.status == "trialing"
    assert subscription.trial_end - subscription.trial_start == 14 * 86400
    assert subscription["items"].data[0].current_period_end == subscription.trial_end
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert (first.amount_due, first.status, first.lines.data[0].description) == (
        0,
        "paid",
        "Trial period for Pro",
    )
    control(server, "/_test/clock/advance", days=11)
    assert server.wait_idle() and receiver.types("customer.subscription.trial_will_end") == [
        "customer.subscription.trial_will_end"
    ]
    control(server, "/_test/clock/advance", days=3)
    active = client.v1.subscriptions.retrieve(subscription.id)
    assert active.status == "active"
    charged = client.v1.invoices.retrieve(active.latest_invoice)
    assert (charged.billing_reason, charged.amount_paid) == ("subscription_cycle", 2000)
    assert server.wait_idle() and len(receiver.types("customer.subscription.trial_will_end")) == 1


@pytest.mark.parametrize(("behavior", "status"), [("cancel", "canceled"), ("create_invoice", "past_due"),
                                                  ("pause", "paused")])  # fmt: skip
def test_trial_without_payment_method_ends_per_end_behavior(client, server, behavior, status):
    price = make_price(client)
    session = open_session(client, price, payment_method_collection="if_required", subscription_data={
        "trial_period_days": 7, "trial_settings": {"end_behavior": {"missing_payment_method": behavior}},
    })  # fmt: skip
    assert 'id="method-none"' in httpx.get(session.url).text

    pay(server, session, payment_method="none")

    subscription = subscription_of(client, session.id)
    assert (subscription.status, subscription.default_payment_method) == ("trialing", None)
    assert subscription.trial_settings.end_behavior.missing_payment_method == behavior
    assert client.v1.invoices.retrieve(subscription.latest_invoice).status == "paid"
    control(server, "/_test/clock/advance", days=8)
    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert ended.status == status
    if behavior == "cancel":
        assert ended.cancellation_details.reason == "cancellation_requested"
    if behavior == "create_invoice":
        assert client.v1.invoices.retrieve(ended.latest_invoice).status == "open"


def test_payment_method_needed_unless_if_required_and_fingerprints(client, server):
    price = make_price(client)
    session = open_session(client, price, subscription_data={"trial_period_days": 7})
    pay(server, session, status=400, payment_method="none")
    other = open_session(client, price)
    pay(server, session)
    pay(server, other, card="4242-4242-4242-4242")
    methods = [
        client.v1.payment_methods.retrieve(subscription_of(client, s.id).default_payment_method)
        for s in (session, other)
    ]
    assert methods[0].card.fingerprint == methods[1].card.fingerprint
    sepa = open_session(client, price, payment_method_types=["sepa_debit"])
    pay(server, sepa, payment_method="sepa_debit", iban="NL39 RABO 0300 0652 64")
    sepa_method = client.v1.payment_methods.retrieve(subscription_of(client, sepa.id).default_payment_method)
    assert sepa_method.sepa_debit.fingerprint
