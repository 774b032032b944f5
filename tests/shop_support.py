"""A tenant's webshop for tests: an account on the local Stripe that can take payments, a
product, an order at Stripe Checkout, and its payment as a buyer makes it."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from billing.shop_checkout import start_checkout
from db.models import Order, Product, Shop
from tenants import cart as cart_rules
from tenants import shop as shop_rules
from worker.services import services

import factories
from support import BILLING_NL, fake_stripe

LABELS = {"flat": "Shipping", "free": "Free shipping", "pickup": "Pick up"}


def connected_account(app, stripe_fake, company: str = "Bakkerij") -> str:
    """A Standard account on the local Stripe that has finished onboarding."""
    account = services(app).stripe.v1.accounts.create(params={
        "type": "standard", "country": "NL", "business_profile": {"name": company}})
    fake_stripe(stripe_fake, "POST", f"/_test/accounts/{account.id}", charges_enabled="true",
                payouts_enabled="true", details_submitted="true")
    return account.id


def open_shop(app, db_session, stripe_fake, plan="professional", **product_values):
    """A tenant on ``plan`` whose shop takes orders, with one product (stock 3 by default)."""
    tenant = factories.tenant(app, db_session, plan=plan)
    shop = shop_rules.ensure_shop(db_session, tenant.id)
    shop_rules.connected(shop, services(app).stripe.v1.accounts.retrieve(
        connected_account(app, stripe_fake, tenant.company)).to_dict())
    values = {"name": "Blue mug", "price_cents": 1250, "stock": 3, "vat_rate": 21,
              **product_values}
    product = Product(tenant_id=tenant.id, slug=f"mug-{uuid.uuid4().hex[:6]}", **values)
    db_session.add(product)
    db_session.commit()
    return tenant, shop, product


def checkout(app, db_session, tenant, lines: dict[int, int], language: str = "en") -> Order:
    """The order a buyer's cart opens at Stripe Checkout (``lines``: product id -> quantity)."""
    the = services(app)
    shop = db_session.get(Shop, tenant.id)
    priced = cart_rules.priced(db_session, the.catalog, tenant,
                               {str(pid): count for pid, count in lines.items()})
    with app.test_request_context():
        start_checkout(db_session, the.stripe, the.catalog, tenant, shop, priced, language,
                       LABELS, "http://shop.example.test/cart/thanks?session_id={CHECKOUT_SESSION_ID}",
                       "http://shop.example.test/cart")
    db_session.commit()
    return db_session.scalar(select(Order).where(Order.tenant_id == tenant.id)
                             .order_by(Order.id.desc()).limit(1))


def pay(stripe_fake, order: Order, method: str = "ideal", **fields) -> dict:
    """The buyer pays the order's Checkout Session (iDEAL by default), shipping to NL; the
    session as it is then."""
    return fake_stripe(stripe_fake, "POST", f"/_test/checkout/sessions/{order.checkout_session_id}/pay",
                       payment_method=method, ideal_bank="rabobank", card="4242424242424242",
                       email="buyer@example.com", **{**BILLING_NL, **fields})["session"]
