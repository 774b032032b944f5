"""Stripe Customer and Checkout Session for a signup, with idempotency keys from our ids."""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from sqlalchemy.orm import Session

from billing.catalog import Catalog
from db.models import Signup


@dataclass
class CheckoutUrls:
    success: str  # must contain {CHECKOUT_SESSION_ID}
    cancel: str


def ensure_customer(client: stripe.StripeClient, signup: Signup) -> str:
    if signup.stripe_customer_id:
        return signup.stripe_customer_id
    customer = client.v1.customers.create(
        params={
            "email": signup.email,
            "name": signup.company,
            "metadata": {"signup_id": signup.id, "subdomain": signup.subdomain},
        },
        options={"idempotency_key": f"signup-{signup.id}-customer"},
    )
    signup.stripe_customer_id = customer.id
    return customer.id


def price_id(client: stripe.StripeClient, lookup_key: str) -> str:
    prices = client.v1.prices.list(params={"lookup_keys": [lookup_key], "active": True, "limit": 1})
    if not prices.data:
        raise LookupError(f"no active Stripe price with lookup_key '{lookup_key}'; "
                          "run `contyzr catalog sync`")
    return prices.data[0].id


def start_checkout(
    session: Session,
    client: stripe.StripeClient,
    catalog: Catalog,
    signup: Signup,
    token: str | None,
    urls: CheckoutUrls | None,
) -> str:
    """Return the Checkout URL for this signup, creating Customer and Session at most once.

    ``token`` is None when the signup's existing Checkout Session still fits (a re-submitted
    form): then nothing is created. Flushes; the caller commits.
    """
    if token is None and signup.checkout_url:
        return signup.checkout_url
    customer_id = ensure_customer(client, signup)
    session.flush()
    if signup.checkout_session_id:
        client.v1.checkout.sessions.expire(
            signup.checkout_session_id,
            options={"idempotency_key": f"signup-{signup.id}-expire-{signup.checkout_session_id}"},
        )
    plan = catalog.plan(signup.plan_id)
    lookup_key = plan.prices[signup.interval].lookup_key
    metadata = {"signup_id": signup.id, "plan": plan.id, "interval": signup.interval}
    checkout = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer_id,
            "client_reference_id": signup.id,
            "line_items": [{"price": price_id(client, lookup_key), "quantity": 1}],
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
            "allow_promotion_codes": True,
            "success_url": urls.success,
            "cancel_url": urls.cancel,
        },
        options={"idempotency_key": f"signup-{signup.id}-checkout-{signup.onboarding_token_hash[:16]}"},
    )
    signup.checkout_session_id = checkout.id
    signup.checkout_url = checkout.url
    session.flush()
    return checkout.url


def start_resubscription(client: stripe.StripeClient, catalog: Catalog, tenant, return_url: str) -> str:
    """A Checkout Session for a closed tenant's plan again; its payment restores the tenant."""
    lookup_key = catalog.plan(tenant.plan_id).prices[tenant.interval].lookup_key
    metadata = {"tenant_id": str(tenant.id)}
    checkout = client.v1.checkout.sessions.create(params={
        "mode": "subscription", "customer": tenant.stripe_customer_id,
        "line_items": [{"price": price_id(client, lookup_key), "quantity": 1}],
        "metadata": metadata, "subscription_data": {"metadata": metadata},
        "success_url": return_url, "cancel_url": return_url})
    return checkout.url
