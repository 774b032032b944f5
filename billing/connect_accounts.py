"""The tenant's own Stripe account for its webshop (Stripe Connect).

A Standard account: the shop owner's own Stripe account and dashboard. With direct charges the
shop is the merchant of record (its name on the buyer's statement, its refunds and disputes,
Stripe's fees on its balance), which is what a small business selling its own goods needs; the
platform takes its share as an application fee and never holds the buyers' money. Onboarding
is Stripe's hosted form (Account Links); the account's state comes back with the owner and in
``account.updated`` events.
"""

from __future__ import annotations

import stripe

from billing.stripe_client import as_dict
from db.models import Shop, Tenant


def create_account(client: stripe.StripeClient, tenant: Tenant, email: str, site_url: str) -> dict:
    """A new Standard account for the tenant (one per tenant: the key is its id)."""
    account = client.v1.accounts.create(params={
        "type": "standard",
        "country": "NL",
        "email": email,
        "default_currency": "eur",
        "business_profile": {"name": tenant.company, "url": site_url},
        "metadata": {"tenant_id": str(tenant.id), "subdomain": tenant.subdomain},
    }, options={"idempotency_key": f"shop-account-{tenant.id}"})
    return as_dict(account)


def fetch_account(client: stripe.StripeClient, account_id: str) -> dict:
    return as_dict(client.v1.accounts.retrieve(account_id))


def onboarding_url(client: stripe.StripeClient, shop: Shop, return_url: str,
                   refresh_url: str) -> str:
    """A fresh, single-use link to Stripe's onboarding form for the shop's account."""
    link = client.v1.account_links.create(params={
        "account": shop.stripe_account_id, "type": "account_onboarding",
        "return_url": return_url, "refresh_url": refresh_url,
    })
    return link.url
