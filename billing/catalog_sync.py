"""Sync the plan catalog to Stripe Products and Prices by ``lookup_key``, idempotently."""

from __future__ import annotations

import stripe

from plans.catalog import Catalog, Plan, Price


def product_id(plan: Plan) -> str:
    return f"contyzr_{plan.id}"


def _ensure_product(client: stripe.StripeClient, plan: Plan) -> str | None:
    try:
        product = client.v1.products.retrieve(product_id(plan))
    except stripe.InvalidRequestError as exc:
        if exc.http_status != 404:
            raise
        client.v1.products.create(
            params={"id": product_id(plan), "name": f"Contyzr {plan.name}",
                    "metadata": {"plan": plan.id}},
            options={"idempotency_key": f"catalog-product-{plan.id}"})
        return f"created product {product_id(plan)}"
    if product.name != f"Contyzr {plan.name}":
        client.v1.products.update(product_id(plan), params={"name": f"Contyzr {plan.name}"})
        return f"renamed product {product_id(plan)}"
    return None


def _ensure_price(client: stripe.StripeClient, currency: str, plan: Plan, price: Price) -> str | None:
    found = client.v1.prices.list(params={"lookup_keys": [price.lookup_key], "limit": 1}).data
    if found:
        current = found[0]
        recurring = current.recurring.interval if current.recurring else None
        if (current.unit_amount == price.amount and current.currency == currency
                and recurring == price.interval and current.active):
            return None
    client.v1.prices.create(params={
        "product": product_id(plan), "currency": currency, "unit_amount": price.amount,
        "recurring": {"interval": price.interval}, "lookup_key": price.lookup_key,
        "transfer_lookup_key": True, "metadata": {"plan": plan.id},
    })
    return f"{'replaced' if found else 'created'} price {price.lookup_key}"


def sync_catalog(client: stripe.StripeClient, catalog: Catalog) -> list[str]:
    """Create or update what differs; return what changed (empty when in sync)."""
    changes = []
    for plan in catalog.plans.values():
        changes.append(_ensure_product(client, plan))
        for price in plan.prices.values():
            changes.append(_ensure_price(client, catalog.currency, plan, price))
    return [change for change in changes if change]
