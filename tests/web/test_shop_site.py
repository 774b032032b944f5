"""Buying on a tenant's site: the product page's form, the cart at /cart, and checkout at
Stripe on the shop's own account, with every price read from the database and every bad
input answered with a clear message and nothing charged."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from shop_support import open_shop
from sqlalchemy import select

from db.models import Order, Product
from db.models.tenants import BillingState
from worker.services import services

import factories


def host(tenant) -> dict:
    return {"Host": f"{tenant.subdomain}.example.test"}


def token(client, tenant, path) -> str:
    page = client.get(path, headers=host(tenant)).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def add(client, tenant, product_id, quantity="1", **extra):
    """Post the product page's form (the token of the shop's first product's page)."""
    first = client.get("/shop", headers=host(tenant)).get_data(as_text=True)
    page = re.search(r'class="product-card" href="([^"]+)"', first).group(1)
    form = {"csrf_token": token(client, tenant, page), "product": str(product_id),
            "quantity": quantity, **extra}
    return client.post("/cart/add", data=form, headers=host(tenant))


@pytest.fixture
def shop(app, db_session, stripe_fake):
    return open_shop(app, db_session, stripe_fake)


def test_the_product_page_has_an_add_to_cart_form_and_the_cart_shows_it_priced(client, shop):
    tenant, _shop, mug = shop
    page = client.get(f"/shop/{mug.slug}", headers=host(tenant)).get_data(as_text=True)
    assert 'action="/cart/add"' in page and "Add to cart" in page

    added = add(client, tenant, mug.id, "2")
    assert added.status_code == 303 and added.headers["Location"].endswith("/cart")
    cart = client.get("/cart", headers=host(tenant)).get_data(as_text=True)
    assert "Blue mug" in cart and "€25" in cart and "Including 21% VAT" in cart
    assert "Cart (2)" in cart and "Checkout" in cart


@pytest.mark.parametrize(("quantity", "status", "says"), [
    ("0", 400, "at least 1"), ("-1", 400, "at least 1"), ("1000000", 400, "whole number"),
    ("100", 400, "at most 99"), ("4", 409, "Only 3 of Blue mug left"),
])
def test_a_bad_quantity_gets_a_clear_message_and_changes_nothing(client, shop, quantity, status,
                                                                 says):
    tenant, _shop, mug = shop
    refused = add(client, tenant, mug.id, quantity)
    assert refused.status_code == status
    assert says in refused.get_data(as_text=True)
    assert "Your cart is empty" in client.get("/cart", headers=host(tenant)).get_data(as_text=True)


def test_another_tenants_a_hidden_or_a_deleted_product_is_not_for_sale(
        app, db_session, client, shop):
    tenant, _shop, mug = shop
    other = factories.tenant(app, db_session, plan="professional")
    theirs = db_session.scalar(select(Product).where(Product.tenant_id == other.id).limit(1))
    mug.active = False
    db_session.commit()
    for product_id in (theirs.id, mug.id, 99999999, "x"):
        refused = add(client, tenant, product_id)
        assert refused.status_code == 404
        assert "not in the shop" in refused.get_data(as_text=True)


def test_a_form_without_its_token_is_refused(client, shop):
    tenant, _shop, mug = shop
    refused = client.post("/cart/add", data={"product": mug.id, "quantity": "1"},
                          headers=host(tenant))
    assert refused.status_code == 400 and "expired" in refused.get_data(as_text=True)


def test_checkout_charges_the_databases_price_not_the_browsers(
        app, db_session, client, shop, stripe_fake):
    tenant, account_shop, mug = shop
    add(client, tenant, mug.id, "2", price="1", unit_amount="1")  # a tampered form
    mug.price_cents = 1500  # the owner changes the price while the cart waits
    db_session.commit()
    assert "€30" in client.get("/cart", headers=host(tenant)).get_data(as_text=True)
    response = client.post("/cart/checkout", data={"csrf_token": token(client, tenant, "/cart")},
                           headers=host(tenant))
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).netloc == urlsplit(stripe_fake.url).netloc

    order = db_session.scalar(select(Order).where(Order.tenant_id == tenant.id))
    session = services(app).stripe.v1.checkout.sessions.retrieve(
        order.checkout_session_id, params={"expand": ["line_items"]},
        options={"stripe_account": account_shop.stripe_account_id})
    assert session.mode == "payment" and session.amount_subtotal == 3000
    assert [(item.quantity, item.price.unit_amount) for item in session.line_items.data] == [(2, 1500)]
    assert session.payment_method_types == ["ideal", "card"]
    # Another account's view of the session: it does not exist there.
    with pytest.raises(Exception, match="No such"):
        services(app).stripe.v1.checkout.sessions.retrieve(order.checkout_session_id)


def test_a_changed_cart_is_shown_again_before_anything_is_charged(db_session, client, shop):
    tenant, _shop, mug = shop
    add(client, tenant, mug.id, "3")
    form = token(client, tenant, "/cart")
    mug.stock = 1  # sold meanwhile, while the visitor looked at the cart
    db_session.commit()
    response = client.post("/cart/checkout", data={"csrf_token": form}, headers=host(tenant))
    assert response.status_code == 409
    assert "Only 1 of Blue mug left" in response.get_data(as_text=True)
    assert db_session.scalar(select(Order).where(Order.tenant_id == tenant.id)) is None


def test_a_shop_without_a_connected_account_shows_products_but_takes_no_orders(
        app, db_session, client):
    tenant = factories.tenant(app, db_session, plan="professional")
    product = db_session.scalar(select(Product).where(Product.tenant_id == tenant.id).limit(1))
    page = client.get(f"/shop/{product.slug}", headers=host(tenant)).get_data(as_text=True)
    assert "Ordering opens soon" in page and "Add to cart" not in page
    assert "Ordering opens soon" in client.get("/shop", headers=host(tenant)).get_data(as_text=True)


def test_disconnecting_stops_new_orders_at_once(db_session, client, shop):
    tenant, account_shop, mug = shop
    add(client, tenant, mug.id)
    form = token(client, tenant, "/cart")
    account_shop.disconnected_at = account_shop.updated_at
    db_session.commit()
    refused = client.post("/cart/checkout", data={"csrf_token": form}, headers=host(tenant))
    assert refused.status_code == 409 and "does not take orders" in refused.get_data(as_text=True)
    assert db_session.scalar(select(Order).where(Order.tenant_id == tenant.id)) is None


def test_a_suspended_site_takes_no_orders(db_session, client, shop):
    tenant, _shop, mug = shop
    add(client, tenant, mug.id)
    tenant.billing_state = BillingState.SUSPENDED
    db_session.commit()
    response = client.post("/cart/checkout", data={"csrf_token": "x"}, headers=host(tenant))
    assert response.status_code == 503
    assert db_session.scalar(select(Order).where(Order.tenant_id == tenant.id)) is None


def test_a_starter_site_has_no_cart(app, db_session, client):
    tenant = factories.tenant(app, db_session, plan="starter")
    assert client.get("/cart", headers=host(tenant)).status_code == 404
