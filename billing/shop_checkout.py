"""Stripe Checkout for a webshop order: a session in ``payment`` mode on the shop's own
account (a direct charge), the platform's share as an application fee.

Every amount comes from the database (``tenants.cart.priced``), never from the browser. Prices
include VAT; each line carries the inclusive tax rate of its product, so the receipt shows the
VAT per rate. The rates are made on the account once and remembered (``shops.tax_rates``).
"""

from __future__ import annotations

from datetime import timedelta

import stripe
from sqlalchemy.orm import Session

from db.base import utcnow
from db.messages import N_
from db.models import Order, Shop, Tenant
from db.refusals import Refused
from plans.catalog import Catalog
from plans.entitlements import plan_of
from tenants import orders
from tenants.cart import PricedCart
from tenants.shop import ShippingOption, shipping_options

PAYMENT_METHODS = ["ideal", "card"]
SESSION_LIFETIME = timedelta(hours=2)  # Stripe: from 30 minutes to 24 hours


def _on(shop: Shop, key: str | None = None) -> dict:
    options = {"stripe_account": shop.stripe_account_id}
    return {**options, "idempotency_key": key} if key else options


def tax_rate(client: stripe.StripeClient, shop: Shop, percent: int) -> str:
    """The account's inclusive Dutch VAT rate of ``percent``, made once."""
    known = shop.tax_rates.get(str(percent))
    if known:
        return known
    rate = client.v1.tax_rates.create(params={
        "display_name": "BTW", "description": f"BTW {percent}%", "percentage": percent,
        "inclusive": True, "country": "NL", "tax_type": "vat",
    }, options=_on(shop, f"shop-vat-{shop.tenant_id}-{shop.stripe_account_id}-{percent}"))
    shop.tax_rates = {**shop.tax_rates, str(percent): rate.id}
    return rate.id


def _shipping(option: ShippingOption, label: str) -> dict:
    return {"shipping_rate_data": {
        "type": "fixed_amount", "display_name": label[:100],
        "fixed_amount": {"amount": option.cents, "currency": "eur"},
        "tax_behavior": "inclusive", "metadata": {"method": option.code}}}


def start_checkout(session: Session, client: stripe.StripeClient, catalog: Catalog,
                   tenant: Tenant, shop: Shop, cart: PricedCart, language: str,
                   labels: dict[str, str], success_url: str, cancel_url: str) -> str:
    """Open the order and its Checkout Session; the URL to send the buyer to. ``labels``: the
    shipping options' names in the site's language. Flushes; the caller commits."""
    if not cart.lines:
        raise Refused(N_("Your cart is empty."), status=400)
    options = shipping_options(shop, cart.goods_cents)
    if not options:
        raise Refused(N_("This shop cannot deliver orders yet. Please try again later."),
                      status=409)
    if any(str(line.product.vat_rate) not in shop.tax_rates for line in cart.lines):
        # The first checkouts of a shop make its tax rates: one at a time (Stripe refuses
        # concurrent requests with one idempotency key), the others then find them stored.
        session.refresh(shop, with_for_update=True)
    fee = plan_of(catalog, tenant).shop_fee(cart.goods_cents)
    order = orders.open_order(session, tenant, shop, cart, language, fee)
    params = {
        "mode": "payment",
        "line_items": [{
            "price_data": {"currency": "eur", "unit_amount": line.product.price_cents,
                           "tax_behavior": "inclusive",
                           "product_data": {"name": line.product.name,
                                            "metadata": {"product_id": str(line.product.id)}}},
            "quantity": line.quantity,
            "tax_rates": [tax_rate(client, shop, line.product.vat_rate)],
        } for line in cart.lines],
        "payment_method_types": PAYMENT_METHODS,
        "shipping_options": [_shipping(option, labels[option.code]) for option in options],
        "customer_creation": "if_required",
        "locale": language,
        "metadata": {"order_id": str(order.id), "tenant_id": str(tenant.id)},
        "client_reference_id": str(order.id),
        "payment_intent_data": {"metadata": {"order_id": str(order.id)},
                                "description": f"{tenant.company} #{order.id}"[:200]},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": int((utcnow() + SESSION_LIFETIME).timestamp()),
    }
    if fee:
        params["payment_intent_data"]["application_fee_amount"] = fee
    if any(option.code != "pickup" for option in options):
        params["shipping_address_collection"] = {"allowed_countries": list(shop.ship_countries)}
    checkout = client.v1.checkout.sessions.create(
        params=params, options=_on(shop, f"shop-order-{order.id}-checkout"))
    order.checkout_session_id = checkout.id
    session.flush()
    return checkout.url


def refund(client: stripe.StripeClient, order: Order, amount: int, key: str) -> str:
    """Refund ``amount`` of the order's payment on the shop's account (the platform's share
    in proportion); the refund's id. ``key`` makes a retried call the same refund."""
    made = client.v1.refunds.create(params={
        "payment_intent": order.payment_intent_id, "amount": amount,
        "reason": "requested_by_customer", "refund_application_fee": True,
        "metadata": {"order_id": str(order.id)},
    }, options={"stripe_account": order.stripe_account_id, "idempotency_key": key})
    return made.id
