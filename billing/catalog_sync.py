"""Sync the plan catalog to Stripe, idempotently: Products and Prices by ``lookup_key``,
Coupons by id with their promotion codes, and the billing portal's configuration (the plans
it may switch between, cancellation at period end with Stripe's reasons), so that Stripe's
portal and the app's own pages offer the same."""

from __future__ import annotations

import hashlib
import json

import stripe

from billing.cancellation import FEEDBACK
from billing.checkout import price_id
from billing.stripe_client import as_dict
from plans.catalog import Catalog, Plan, Price
from plans.coupons import Coupon

PORTAL_MARK = "catalog"  # metadata contyzr=catalog names the configuration the sync owns


def product_id(plan: Plan) -> str:
    return f"contyzr_{plan.id}"


def _ensure_product(client: stripe.StripeClient, plan: Plan, tax_code: str | None) -> str | None:
    wanted = {"name": f"Contyzr {plan.name}"} | ({"tax_code": tax_code} if tax_code else {})
    try:
        product = client.v1.products.retrieve(product_id(plan))
    except stripe.InvalidRequestError as exc:
        if exc.http_status != 404:
            raise
        client.v1.products.create(
            params={"id": product_id(plan), **wanted, "metadata": {"plan": plan.id}},
            options={"idempotency_key": f"catalog-product-{plan.id}"})
        return f"created product {product_id(plan)}"
    if product.name != wanted["name"] or getattr(product, "tax_code", None) != (tax_code or None):
        client.v1.products.update(product_id(plan), params=wanted)
        return f"updated product {product_id(plan)}"
    return None


def _ensure_price(client: stripe.StripeClient, catalog: Catalog, plan: Plan, price: Price) -> str | None:
    """A price's amount, interval and tax behaviour cannot change at Stripe: a price that
    differs is replaced by a new one that takes over its lookup key."""
    found = client.v1.prices.list(params={"lookup_keys": [price.lookup_key], "limit": 1}).data
    if found:
        current = found[0]
        recurring = current.recurring.interval if current.recurring else None
        if (current.unit_amount == price.amount and current.currency == catalog.currency
                and recurring == price.interval and current.active
                and getattr(current, "tax_behavior", None) == catalog.billing.tax_behavior):
            return None
    client.v1.prices.create(params={
        "product": product_id(plan), "currency": catalog.currency, "unit_amount": price.amount,
        "recurring": {"interval": price.interval}, "lookup_key": price.lookup_key,
        "tax_behavior": catalog.billing.tax_behavior,
        "transfer_lookup_key": True, "metadata": {"plan": plan.id},
    })
    return f"{'replaced' if found else 'created'} price {price.lookup_key}"


def _ensure_coupon(client: stripe.StripeClient, coupon: Coupon) -> str | None:
    """Stripe changes only a coupon's name: one that differs otherwise is replaced (discounts
    already given keep running as they were)."""
    wanted = {"percent_off": coupon.percent_off, "duration": coupon.duration,
              "duration_in_months": coupon.duration_in_months}
    try:
        found = client.v1.coupons.retrieve(coupon.id)
    except stripe.InvalidRequestError as exc:
        if exc.http_status != 404:
            raise
        found = None
    if found is not None and all(getattr(found, key, None) == value for key, value in wanted.items()):
        if found.name == coupon.name:
            return None
        client.v1.coupons.update(coupon.id, params={"name": coupon.name})
        return f"renamed coupon {coupon.id}"
    if found is not None:
        client.v1.coupons.delete(coupon.id)
    params = {"id": coupon.id, "name": coupon.name, "percent_off": coupon.percent_off,
              "duration": coupon.duration}
    if coupon.duration_in_months:
        params["duration_in_months"] = coupon.duration_in_months
    client.v1.coupons.create(params=params)
    return f"{'replaced' if found is not None else 'created'} coupon {coupon.id}"


def _ensure_promotion_code(client: stripe.StripeClient, coupon: Coupon, code: str) -> str | None:
    found = client.v1.promotion_codes.list(params={"code": code, "active": True, "limit": 1}).data
    if found and _promoted_coupon(found[0]) == coupon.id:
        return None
    for stale in found:
        client.v1.promotion_codes.update(stale.id, params={"active": False})
    client.v1.promotion_codes.create(params={
        "code": code, "promotion": {"type": "coupon", "coupon": coupon.id}})
    return f"created promotion code {code}"


def _promoted_coupon(promotion_code) -> str | None:
    promotion = getattr(promotion_code, "promotion", None)
    coupon = getattr(promotion, "coupon", None) if promotion is not None else None
    return getattr(coupon, "id", coupon)


def portal_configuration_params(client: stripe.StripeClient, catalog: Catalog) -> dict:
    products = [{"product": product_id(plan),
                 "prices": [price_id(client, price.lookup_key) for price in plan.prices.values()]}
                for plan in catalog.plans.values()]
    return {
        "business_profile": {"headline": "Contyzr"},
        "features": {
            "subscription_update": {"enabled": True, "default_allowed_updates": ["price"],
                                    "proration_behavior": "always_invoice",
                                    "products": products},
            "subscription_cancel": {"enabled": True, "mode": "at_period_end",
                                    "cancellation_reason": {"enabled": True,
                                                            "options": list(FEEDBACK)}},
            "payment_method_update": {"enabled": True},
            "invoice_history": {"enabled": True},
        },
    }


def portal_configuration(client: stripe.StripeClient) -> str | None:
    """The id of the billing portal configuration the sync keeps (None before the first)."""
    for configuration in client.v1.billing_portal.configurations.list(params={"limit": 100}).data:
        if as_dict(configuration.metadata or {}).get("contyzr") == PORTAL_MARK:
            return configuration.id
    return None


def _ensure_portal_configuration(client: stripe.StripeClient, catalog: Catalog) -> str | None:
    params = portal_configuration_params(client, catalog)
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:32]
    metadata = {"contyzr": PORTAL_MARK, "digest": digest}
    existing = portal_configuration(client)
    if existing is None:
        client.v1.billing_portal.configurations.create(params={**params, "metadata": metadata})
        return "created billing portal configuration"
    found = client.v1.billing_portal.configurations.retrieve(existing)
    if as_dict(found.metadata or {}).get("digest") == digest:
        return None
    client.v1.billing_portal.configurations.update(existing, params={**params, "metadata": metadata})
    return "updated billing portal configuration"


def sync_catalog(client: stripe.StripeClient, catalog: Catalog) -> list[str]:
    """Create or update what differs; return what changed (empty when in sync)."""
    changes = []
    for plan in catalog.plans.values():
        changes.append(_ensure_product(client, plan, catalog.billing.tax_code))
        for price in plan.prices.values():
            changes.append(_ensure_price(client, catalog, plan, price))
    for coupon in catalog.coupons.values():
        changes.append(_ensure_coupon(client, coupon))
        changes.extend(_ensure_promotion_code(client, coupon, code) for code in coupon.promotion_codes)
    changes.append(_ensure_portal_configuration(client, catalog))
    return [change for change in changes if change]
