"""The shop in the portal: connecting the owner's Stripe account through Stripe's onboarding,
disconnecting it, shipping, and the orders: the list, search, CSV, shipping with a tracking
link, refunds in part or in full through Stripe, cancellation, each in the order's history."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from shop_support import checkout, open_shop, pay
from sqlalchemy import select

from db.models import MailLog, Order, OrderEvent, Product, Shop
from db.models.shop import OrderStatus
from db.models.tenants import BillingState
from worker.services import services

import factories
from support import EventForwarder, csrf_token, http, run_jobs


@pytest.fixture
def owner(app, db_session, client, sign_in):
    tenant = factories.tenant(app, db_session, plan="professional")
    sign_in(tenant.owner_email)
    client.tenant = tenant
    return client


def post(client, url, page=None, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, page or url), **data})


def test_the_owner_connects_a_stripe_account_through_stripes_onboarding(
        app, db_session, owner, stripe_fake):
    page = owner.get("/portal/shop").get_data(as_text=True)
    assert "Not connected yet" in page and "2%" in page

    to_stripe = post(owner, "/portal/shop/connect", "/portal/shop")
    assert to_stripe.status_code == 303
    link = to_stripe.headers["Location"]
    assert urlsplit(link).netloc == urlsplit(stripe_fake.url).netloc
    shop = db_session.get(Shop, owner.tenant.id)
    assert shop.stripe_account_id.startswith("acct_") and not shop.charges_enabled

    # The owner fills in Stripe's form; Stripe sends them back to the portal.
    onboarding = http.get(link)
    assert onboarding.status_code == 200 and "Agree and submit" in onboarding.text
    back = http.post(link, data={"business_name": "Bakkerij", "iban": "NL39RABO0300065264",
                                 "outcome": "complete"}, follow_redirects=False)
    assert back.status_code == 303
    returned = owner.get(urlsplit(back.headers["Location"]).path)
    assert returned.status_code == 303
    page = owner.get("/portal/shop").get_data(as_text=True)
    assert "Your shop takes orders" in page
    # The link was for one use: used again, Stripe sends the owner to a fresh one.
    again = http.get(link, follow_redirects=False)
    assert again.status_code == 303 and again.headers["Location"].endswith("/portal/shop/onboarding")

    post(owner, "/portal/shop/disconnect", "/portal/shop")
    db_session.expire_all()
    assert db_session.get(Shop, owner.tenant.id).takes_orders is False
    assert "Disconnected" in owner.get("/portal/shop").get_data(as_text=True)


def test_an_account_still_being_checked_takes_no_orders_yet(app, db_session, owner, stripe_fake):
    link = post(owner, "/portal/shop/connect", "/portal/shop").headers["Location"]
    back = http.post(link, data={"business_name": "Bakkerij", "iban": "NL39RABO0300065264",
                                 "outcome": "pending"}, follow_redirects=False)
    owner.get(urlsplit(back.headers["Location"]).path)
    page = owner.get("/portal/shop").get_data(as_text=True)
    assert "Stripe is checking your details" in page
    assert db_session.get(Shop, owner.tenant.id).takes_orders is False


@pytest.mark.parametrize(("form", "says"), [
    ({"ships": "1", "flat_rate": "-4", "ship_countries": "NL"}, "cannot be negative"),
    ({"ships": "1", "flat_rate": "4.95"}, "countries"),
    ({"pickup": "1", "pickup_address": ""}, "picked up"),
    ({}, "at least one way"),
    ({"ships": "1", "flat_rate": "4.95", "ship_countries": "US"}, "countries"),
])
def test_shipping_settings_refuse_what_cannot_work(db_session, owner, form, says):
    response = post(owner, "/portal/shop/shipping", "/portal/shop", **form)
    assert response.status_code == 303
    assert says in owner.get("/portal/shop").get_data(as_text=True)


def test_free_shipping_above_an_amount_and_pick_up_are_offered_at_checkout(
        app, db_session, owner, stripe_fake):
    post(owner, "/portal/shop/shipping", "/portal/shop", ships="1", flat_rate="4.95",
         free_above="50", ship_countries=["NL", "BE", "DE"], pickup="1",
         pickup_address="Dorpsstraat 1, Utrecht")
    shop = db_session.get(Shop, owner.tenant.id)
    assert (shop.flat_rate_cents, shop.free_above_cents, shop.pickup) == (495, 5000, True)
    assert shop.ship_countries == ["BE", "DE", "NL"]


@pytest.fixture
def sold(app, db_session, client, sign_in, stripe_fake, mails):
    """A shop with one paid order of 2 mugs (stock 3 -> 1), its owner signed in."""
    tenant, shop, mug = open_shop(app, db_session, stripe_fake)
    forwarder = EventForwarder(stripe_fake)
    order = checkout(app, db_session, tenant, {mug.id: 2})
    pay(stripe_fake, order)
    forwarder.forward(client)
    run_jobs(app)
    sign_in(tenant.owner_email)
    db_session.expire_all()
    return tenant, db_session.get(Order, order.id), mug


def test_orders_are_listed_searched_and_exported(app, db_session, client, sold):
    tenant, order, _mug = sold
    page = client.get("/portal/orders").get_data(as_text=True)
    assert "#1001" in page and "buyer@example.com" in page
    assert "#1001" in client.get("/portal/orders?q=buyer@").get_data(as_text=True)
    assert "#1001" in client.get("/portal/orders?q=1001").get_data(as_text=True)
    assert "No orders match" in client.get("/portal/orders?q=nobody").get_data(as_text=True)
    assert "No orders match" in client.get("/portal/orders?status=shipped").get_data(as_text=True)
    csv = client.get("/portal/orders.csv")
    assert csv.mimetype == "text/csv"
    assert "1001," in csv.get_data(as_text=True) and "2 x Blue mug" in csv.get_data(as_text=True)


def test_shipping_an_order_mails_the_buyer_with_the_tracking_link(app, db_session, client, sold):
    _tenant, order, _mug = sold
    url = f"/portal/orders/{order.id}"
    refused = post(client, f"{url}/ship", url, tracking_url="javascript:alert(1)")
    assert refused.status_code == 303
    assert "https://" in client.get(url).get_data(as_text=True)
    post(client, f"{url}/ship", url, tracking_url="https://track.example.test/3S123")
    db_session.expire_all()
    assert db_session.get(Order, order.id).status == OrderStatus.SHIPPED
    run_jobs(app)
    shipped = db_session.scalar(select(MailLog).where(MailLog.kind == "order_shipped"))
    assert shipped.to_address == "buyer@example.com"
    assert "Marked shipped" in client.get(url).get_data(as_text=True)


def test_a_partial_then_a_full_refund_go_through_stripe_and_into_the_history(
        app, db_session, client, sold):
    tenant, order, _mug = sold
    url = f"/portal/orders/{order.id}"
    post(client, f"{url}/refund", url, amount="5.00", reason="A chipped mug")
    too_much = post(client, f"{url}/refund", url, amount="999")
    assert too_much.status_code == 303
    assert "Refund an amount from 0.01 to" in client.get(url).get_data(as_text=True)
    post(client, f"{url}/refund", url)  # the rest
    db_session.expire_all()
    order = db_session.get(Order, order.id)
    assert order.refunded_cents == order.total_cents
    refunds = services(app).stripe.v1.refunds.list(
        params={"payment_intent": order.payment_intent_id},
        options={"stripe_account": order.stripe_account_id}).data
    assert sorted(refund.amount for refund in refunds) == [500, order.total_cents - 500]
    history = [event.kind for event in db_session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id))]
    assert history == ["paid", "refunded", "refunded"]
    assert "A chipped mug" in client.get(url).get_data(as_text=True)


def test_canceling_refunds_the_rest_and_puts_the_stock_back(app, db_session, client, sold):
    _tenant, order, mug = sold
    url = f"/portal/orders/{order.id}"
    post(client, f"{url}/cancel", url, reason="Asked by the buyer")
    db_session.expire_all()
    assert db_session.get(Order, order.id).status == OrderStatus.CANCELED
    assert db_session.get(Product, mug.id).stock == 3
    again = post(client, f"{url}/cancel", url)
    assert again.status_code == 303
    assert "cannot be changed" in client.get(url).get_data(as_text=True)


def test_orders_stay_readable_after_a_downgrade_and_while_suspended(app, db_session, client, sold):
    tenant, order, _mug = sold
    tenant.plan_id = "starter"
    tenant.billing_state = BillingState.SUSPENDED
    db_session.commit()
    assert "#1001" in client.get("/portal/orders").get_data(as_text=True)
    url = f"/portal/orders/{order.id}"
    assert client.get(url).status_code == 200
    post(client, f"{url}/ship", url)  # the buyer paid: the order can still be sent
    db_session.expire_all()
    assert db_session.get(Order, order.id).status == OrderStatus.SHIPPED


def test_another_tenants_order_is_a_404_and_an_editor_cannot_refund(
        app, db_session, client, sign_in, sold):
    tenant, order, _mug = sold
    other = factories.tenant(app, db_session, plan="professional")
    sign_in(other.owner_email)
    assert client.get(f"/portal/orders/{order.id}").status_code == 404
    editor = factories.user(db_session, tenant, role="editor")
    sign_in(editor.email)
    assert client.get(f"/portal/orders/{order.id}").status_code == 200
    assert client.post(f"/portal/orders/{order.id}/refund",
                       data={"csrf_token": csrf_token(client, f"/portal/orders/{order.id}")}
                       ).status_code == 403
    assert re.search("Refund through Stripe", client.get(f"/portal/orders/{order.id}")
                     .get_data(as_text=True)) is None
