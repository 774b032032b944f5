"""Stripe Customer and Checkout Session for a signup, with idempotency keys from our ids."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

import stripe
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Signup
from plans.catalog import Catalog


@dataclass
class CheckoutUrls:
    """Where Checkout sends the browser back: addresses without any secret in them."""

    success: str  # may contain {CHECKOUT_SESSION_ID}
    cancel: str


def ensure_customer(client: stripe.StripeClient, signup: Signup) -> str:
    if signup.stripe_customer_id:
        return signup.stripe_customer_id
    customer = client.v1.customers.create(
        params={
            "email": signup.email,
            "name": signup.company,
            # Stripe's own mails, receipts and invoice PDFs in the language of the signup.
            "preferred_locales": [signup.language],
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


class AlreadyPaid(Exception):
    """The signup's Checkout Session was completed: a payment is on its way, start no other."""


# Stripe accepts a Checkout Session's ``expires_at`` from 30 minutes to 24 hours after creation.
_EARLIEST, _LATEST = timedelta(minutes=31), timedelta(hours=23, minutes=59)


def expire_session(client: stripe.StripeClient, session_id: str, key: str) -> str:
    """Expire an open Checkout Session; return its final status (``expired`` or ``complete``).

    A session that Stripe already expired, or that was just paid, is not an error here.
    """
    try:
        client.v1.checkout.sessions.expire(session_id, options={"idempotency_key": key})
        return "expired"
    except stripe.InvalidRequestError:
        found = client.v1.checkout.sessions.retrieve(session_id)
        if found.status == "open":
            raise
        return found.status


def _expires_at(signup: Signup) -> int:
    """The reservation's end as Stripe accepts it for a session created now."""
    now = utcnow()
    wanted = signup.expires_at or now + _LATEST
    return int(min(max(wanted, now + _EARLIEST), now + _LATEST).timestamp())


def billing_params(catalog: Catalog) -> dict:
    """What every Checkout Session asks of Stripe besides the plan: VAT by Stripe Tax on the
    billing address, the VAT number of a business (its name and address saved on the Customer,
    so every later invoice carries them), the payment methods of the catalog, and a field for
    a promotion code."""
    return {
        "automatic_tax": {"enabled": True},
        "billing_address_collection": "required",
        "tax_id_collection": {"enabled": True},
        "customer_update": {"address": "auto", "name": "auto"},
        "payment_method_types": list(catalog.billing.payment_methods),
        "allow_promotion_codes": True,  # the catalog's codes (synced); Stripe checks them
    }


def _idempotency_key(signup: Signup, params: dict) -> str:
    """The same parameters give the same key (a retried request finds the first session);
    anything that changed (plan, URLs, expiry) gives a new one, as Stripe requires."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:24]
    return f"signup-{signup.id}-checkout-{digest}"


def start_checkout(
    session: Session,
    client: stripe.StripeClient,
    catalog: Catalog,
    signup: Signup,
    renew: bool,
    urls: CheckoutUrls,
) -> str:
    """Return the Checkout URL for this signup, creating Customer and Session at most once.

    ``renew`` is False when the signup's existing Checkout Session still fits (a re-submitted
    form): then nothing is created. A new session replaces the old one, which is expired at
    Stripe first (``AlreadyPaid`` when it was paid meanwhile). The session expires with the
    signup's reservation (``expires_at``). Flushes; the caller commits.
    """
    if not renew and signup.checkout_url:
        return signup.checkout_url
    customer_id = ensure_customer(client, signup)
    session.flush()
    if signup.checkout_session_id:
        old = signup.checkout_session_id
        if expire_session(client, old, f"signup-{signup.id}-expire-{old}") == "complete":
            raise AlreadyPaid(old)
    plan = catalog.plan(signup.plan_id)
    lookup_key = plan.prices[signup.interval].lookup_key
    metadata = {"signup_id": signup.id, "plan": plan.id, "interval": signup.interval}
    params = {
        "mode": "subscription",
        "customer": customer_id,
        "client_reference_id": signup.id,
        "line_items": [{"price": price_id(client, lookup_key), "quantity": 1}],
        "metadata": metadata,
        "subscription_data": {"metadata": metadata},
        "success_url": urls.success,
        "cancel_url": urls.cancel,
        "expires_at": _expires_at(signup),
        "locale": signup.language,  # Checkout's page in the language the form was sent in
        **billing_params(catalog),
    }
    if signup.trial and plan.trial_days:
        # The site at once, the first payment after the trial; without a payment method by
        # then, the unpaid invoice takes the usual way (past due, reminders, suspension).
        params["subscription_data"] = {**params["subscription_data"],
                                       "trial_period_days": plan.trial_days,
                                       "trial_settings": {"end_behavior": {
                                           "missing_payment_method": "create_invoice"}}}
        params["payment_method_collection"] = "if_required"
    checkout = client.v1.checkout.sessions.create(
        params=params, options={"idempotency_key": _idempotency_key(signup, params)})
    signup.checkout_session_id = checkout.id
    signup.checkout_url = checkout.url
    session.flush()
    return checkout.url


def start_resubscription(client: stripe.StripeClient, catalog: Catalog, tenant, return_url: str,
                         locale: str = "auto") -> str:
    """A Checkout Session for a closed tenant's plan again; its payment restores the tenant.
    ``locale``: Checkout's language (the person's who asks)."""
    lookup_key = catalog.plan(tenant.plan_id).prices[tenant.interval].lookup_key
    metadata = {"tenant_id": str(tenant.id)}
    checkout = client.v1.checkout.sessions.create(params={
        "mode": "subscription", "customer": tenant.stripe_customer_id,
        "line_items": [{"price": price_id(client, lookup_key), "quantity": 1}],
        "metadata": metadata, "subscription_data": {"metadata": metadata},
        "success_url": return_url, "cancel_url": return_url, "locale": locale,
        **billing_params(catalog)})
    return checkout.url
