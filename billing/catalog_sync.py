"""Sync the plan catalog to Stripe Products and Prices by ``lookup_key``, idempotently."""

from __future__ import annotations

import stripe

from plans.catalog import Catalog, Plan, Price


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


def sync_catalog(client: stripe.StripeClient, catalog: Catalog) -> list[str]:
    """Create or update what differs; return what changed (empty when in sync)."""
    changes = []
    for plan in catalog.plans.values():
        changes.append(_ensure_product(client, plan, catalog.billing.tax_code))
        for price in plan.prices.values():
            changes.append(_ensure_price(client, catalog, plan, price))
    return [change for change in changes if change]
