"""Builders for Stripe-shaped Checkout Sessions and their line items."""

import copy
from typing import Any

from .store import DAY, new_id

CHECKOUT_LIFETIME = DAY


def checkout_session(
    *,
    mode: str,
    customer_id: str | None,
    customer_email: str | None,
    client_reference_id: str | None,
    metadata: dict[str, str],
    success_url: str,
    cancel_url: str | None,
    allow_promotion_codes: bool | None,
    currency: str,
    amount: int,
    base_url: str,
    created: int,
    expires_at: int | None = None,
    locale: str | None = None,
) -> dict[str, Any]:
    session_id = new_id("cs_test_", 58)
    return {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": allow_promotion_codes,
        "amount_subtotal": amount,
        "amount_total": amount,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": cancel_url,
        "client_reference_id": client_reference_id,
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": currency,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": customer_id,
        "customer_creation": None if customer_id else "always",
        "customer_details": None,
        "customer_email": customer_email,
        "discounts": [],
        "expires_at": expires_at or created + CHECKOUT_LIFETIME,
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": locale,
        "metadata": metadata,
        "mode": mode,
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "always",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": success_url,
        "tax_id_collection": {"enabled": False, "required": "never"},
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": f"{base_url}/checkout/pay/{session_id}",
        "wallet_options": None,
    }


def checkout_line_item(price_obj: dict[str, Any], quantity: int, description: str) -> dict[str, Any]:
    amount = price_obj["unit_amount"] * quantity
    return {
        "id": new_id("li_"),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": price_obj["currency"],
        "description": description,
        "price": copy.deepcopy(price_obj),
        "quantity": quantity,
        "taxes": [],  # shown only with ``expand[]=data.taxes``
    }
