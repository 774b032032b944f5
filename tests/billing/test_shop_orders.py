"""A paid Checkout Session on a shop's own Stripe account becomes an order exactly once: the
stock taken, a number given, the buyer's and the owner's mails queued once, whatever the order
and number of deliveries; a payment that arrives after the stock ran out is refunded."""

from __future__ import annotations

import json
import random

import pytest
from shop_support import checkout, connected_account, open_shop, pay
from sqlalchemy import func, select

from billing.shop_checkout import refund
from billing.signatures import sign
from db.models import MailLog, Order, OrderEvent, Product, StripeEvent
from db.models.shop import OrderStatus
from worker.services import services

from support import EventForwarder, fake_stripe, post_event, run_jobs, stripe_event


@pytest.fixture
def events(stripe_fake):
    return EventForwarder(stripe_fake)


def mails_of(db_session, order):
    return sorted(db_session.scalars(select(MailLog.kind).where(
        MailLog.params["order_id"].as_integer() == order.id)))


def test_a_paid_checkout_becomes_one_order_with_its_stock_taken_and_its_mails(
        app, db_session, client, stripe_fake, events, mails):
    tenant, shop, mug = open_shop(app, db_session, stripe_fake)
    order = checkout(app, db_session, tenant, {mug.id: 2})
    session = pay(stripe_fake, order)
    assert session["payment_status"] == "paid"

    # Every event twice, in a shuffled order.
    delivered = events.forward(client, order=lambda found: random.sample(found * 2, len(found) * 2))
    on_account = {event["type"] for event in delivered if event.get("account")}
    assert on_account >= {"checkout.session.completed", "charge.succeeded"}
    assert {event["account"] for event in delivered if event.get("account")} == {
        shop.stripe_account_id}
    run_jobs(app)

    db_session.expire_all()
    order = db_session.get(Order, order.id)
    assert order.status == OrderStatus.PAID and order.number == 1001
    assert order.total_cents == 2 * 1250 + 495  # the products and the flat shipping rate
    assert order.tax_cents == round(2500 * 21 / 121)
    assert order.fee_cents == 50  # Professional: 2% of the products
    assert order.email == "buyer@example.com" and order.shipping_address["city"] == "Amsterdam"
    assert order.shipping_method == "flat"
    assert db_session.get(Product, mug.id).stock == 1
    assert mails_of(db_session, order) == ["new_order", "order_confirmation"]
    sent = {(m["body"]["to"][0], m["body"]["subject"]) for m in mails.emails}
    assert ("buyer@example.com", f"Your order 1001 at {tenant.company}") in sent
    assert any(to == tenant.owner_email and "New order 1001" in subject for to, subject in sent)
    assert db_session.scalar(select(func.count()).select_from(OrderEvent)
                             .where(OrderEvent.order_id == order.id)) == 1


def test_a_payment_that_arrives_after_the_stock_ran_out_is_refunded_and_both_sides_told(
        app, db_session, client, stripe_fake, events, mails):
    tenant, shop, mug = open_shop(app, db_session, stripe_fake, stock=2)
    first = checkout(app, db_session, tenant, {mug.id: 2})
    second = checkout(app, db_session, tenant, {mug.id: 1})  # both at checkout while 2 are left
    pay(stripe_fake, second)
    pay(stripe_fake, first)
    events.forward(client)
    run_jobs(app)

    db_session.expire_all()
    paid, refunded = db_session.get(Order, second.id), db_session.get(Order, first.id)
    assert paid.status == OrderStatus.PAID and refunded.status == OrderStatus.REFUNDED
    assert refunded.number is None and refunded.refunded_cents == refunded.total_cents
    assert db_session.get(Product, mug.id).stock == 1  # never below zero
    assert services(app).stripe.v1.refunds.list(
        params={"payment_intent": refunded.payment_intent_id},
        options={"stripe_account": shop.stripe_account_id}).data[0].amount == refunded.total_cents
    assert mails_of(db_session, refunded) == ["order_out_of_stock", "order_out_of_stock_owner"]


def test_an_expired_checkout_is_no_order_and_takes_no_stock(
        app, db_session, client, stripe_fake, events):
    tenant, shop, mug = open_shop(app, db_session, stripe_fake)
    order = checkout(app, db_session, tenant, {mug.id: 1})
    services(app).stripe.v1.checkout.sessions.expire(
        order.checkout_session_id, options={"stripe_account": shop.stripe_account_id})
    events.forward(client)
    run_jobs(app)
    db_session.expire_all()
    assert db_session.get(Order, order.id).status == OrderStatus.EXPIRED
    assert db_session.get(Product, mug.id).stock == 3


def test_the_connect_endpoint_verifies_its_own_secret_and_keeps_events_apart(
        app, db_session, client, stripe_fake):
    account = connected_account(app, stripe_fake)
    event = {**stripe_event("account.updated", {"id": account, "object": "account"}),
             "account": account}
    # The platform's secret does not sign Connect events.
    assert post_event(client, event, secret="whsec_test_current").status_code == 400
    # Each endpoint takes only its own kind of event.
    payload = json.dumps(event)
    at_platform = client.post("/webhooks/stripe", data=payload, content_type="application/json",
                              headers={"Stripe-Signature": sign(payload, "whsec_test_current")})
    assert at_platform.status_code == 400 and "Connect" in at_platform.json["error"]
    platform = json.dumps(stripe_event("customer.created", {"id": "cus_x", "object": "customer"}))
    at_connect = client.post("/webhooks/stripe/connect", data=platform,
                             content_type="application/json",
                             headers={"Stripe-Signature": sign(platform, "whsec_test_connect")})
    assert at_connect.status_code == 400
    # An account no shop holds: stored, processed, nothing happens.
    assert post_event(client, event).status_code == 200
    run_jobs(app)
    stored = db_session.get(StripeEvent, event["id"])
    assert stored.account == account and stored.processed_at is not None


def test_account_updates_keep_the_shop_current_and_a_deauthorization_stops_orders(
        app, db_session, client, stripe_fake, events):
    tenant, shop, _mug = open_shop(app, db_session, stripe_fake)
    events.new_events()
    fake_stripe(stripe_fake, "POST", f"/_test/accounts/{shop.stripe_account_id}",
                charges_enabled="false")
    events.forward(client)
    run_jobs(app)
    db_session.expire_all()
    assert db_session.get(type(shop), tenant.id).charges_enabled is False

    fake_stripe(stripe_fake, "POST", f"/_test/accounts/{shop.stripe_account_id}",
                charges_enabled="true")
    fake_stripe(stripe_fake, "POST", f"/_test/accounts/{shop.stripe_account_id}/deauthorize")
    events.forward(client)
    run_jobs(app)
    db_session.expire_all()
    assert db_session.get(type(shop), tenant.id).disconnected_at is not None


def test_a_refund_made_by_an_attempt_that_did_not_commit_is_never_sold_again(
        app, db_session, client, stripe_fake, events):
    """The stock ran out, the payment was refunded, then the transaction failed. Meanwhile
    the owner restocked: the retry must not sell what the buyer got back."""
    tenant, shop, mug = open_shop(app, db_session, stripe_fake)
    order = checkout(app, db_session, tenant, {mug.id: 1})
    session = pay(stripe_fake, order)
    order.payment_intent_id = session["payment_intent"]
    refund(services(app).stripe, order, session["amount_total"], key=f"order-{order.id}-out-of-stock")
    db_session.rollback()  # the attempt's transaction is lost; the refund at Stripe is not
    events.forward(client)
    run_jobs(app)

    db_session.expire_all()
    order = db_session.get(Order, order.id)
    assert order.status == OrderStatus.REFUNDED and order.number is None
    assert db_session.get(Product, mug.id).stock == 3  # nothing taken
