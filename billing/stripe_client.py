"""The one place that builds Stripe clients, and the API version the app is written against."""

from __future__ import annotations

import stripe

# Pinned: payloads are parsed for this version's shapes (period ends on subscription items,
# an invoice's subscription under parent.subscription_details).
STRIPE_API_VERSION = "2026-10-28.endive"


def make_client(api_key: str, api_base: str | None = None) -> stripe.StripeClient:
    """A client that retries network errors and 5xx answers itself (the SDK default is 0)."""
    base_addresses = {}
    if api_base:
        base_addresses = {"api": api_base, "connect": api_base, "files": api_base}
    return stripe.StripeClient(
        api_key,
        stripe_version=STRIPE_API_VERSION,
        base_addresses=base_addresses,
        max_network_retries=3,
    )


def as_dict(obj) -> dict:
    """A StripeObject (or a plain dict from a webhook payload) as plain nested dicts."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
