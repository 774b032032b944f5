"""Builders for Stripe-shaped subscriptions and invoices (API version 2026-10-28).

Billing periods live on subscription items (``items.data[i].current_period_end``) and an
invoice names its subscription under ``parent.subscription_details``.
"""

import copy
from typing import Any

from .objects import list_object, plan
from .store import new_id


def subscription_item(
    *,
    subscription_id: str,
    price_obj: dict[str, Any],
    quantity: int,
    period: tuple[int, int],
    created: int,
) -> dict[str, Any]:
    return {
        "id": new_id("si_", 14),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": created,
        "current_period_end": period[1],
        "current_period_start": period[0],
        "discounts": [],
        "metadata": {},
        "plan": plan(price_obj),
        "price": copy.deepcopy(price_obj),
        "quantity": quantity,
        "subscription": subscription_id,
        "tax_rates": [],
    }


def subscription(
    *,
    customer_id: str,
    lines: list[tuple[dict[str, Any], int]],
    metadata: dict[str, str],
    period: tuple[int, int],
    created: int,
) -> dict[str, Any]:
    """An active subscription for ``lines`` of ``(price, quantity)``."""
    subscription_id = new_id("sub_")
    items = [
        subscription_item(
            subscription_id=subscription_id,
            price_obj=price_obj,
            quantity=quantity,
            period=period,
            created=created,
        )
        for price_obj, quantity in lines
    ]
    return {
        "id": subscription_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": period[0],
        "billing_cycle_anchor_config": None,
        "billing_mode": {"type": "classic", "flexible": None},
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": created,
        "currency": lines[0][0]["currency"],
        "customer": customer_id,
        "days_until_due": None,
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "issuer": {"type": "self"}},
        "items": list_object(items, f"/v1/subscription_items?subscription={subscription_id}"),
        "latest_invoice": None,
        "livemode": False,
        "metadata": metadata,
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {
            "payment_method_options": None,
            "payment_method_types": None,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": created,
        "status": "active",
        "test_clock": None,
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
    }


def line_item(
    *,
    invoice_id: str | None,
    amount: int,
    currency: str,
    description: str,
    subscription_item: dict[str, Any],
    period: dict[str, int],
    pricing: dict[str, Any],
    quantity: int,
    invoice_item: str | None = None,
) -> dict[str, Any]:
    """An invoice line of a subscription: its item's price, or (``invoice_item`` given) a
    proration for it, which is never discounted."""
    return {
        "id": new_id("il_"),
        "object": "line_item",
        "amount": amount,
        "currency": currency,
        "description": description,
        "discount_amounts": [],
        "discountable": invoice_item is None,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "type": "subscription_item_details",
            "invoice_item_details": None,
            "subscription_item_details": {
                "invoice_item": invoice_item,
                "proration": invoice_item is not None,
                "proration_details": {"credited_items": None},
                "subscription": subscription_item["subscription"],
                "subscription_item": subscription_item["id"],
            },
        },
        "period": period,
        "pretax_credit_amounts": [],
        "pricing": pricing,
        "quantity": quantity,
        "subscription": subscription_item["subscription"],
        "subtotal": amount,
        "taxes": [],
    }


def invoice_line(*, item: dict[str, Any], invoice_id: str, description: str) -> dict[str, Any]:
    price_obj = item["price"]
    return line_item(
        invoice_id=invoice_id,
        amount=price_obj["unit_amount"] * item["quantity"],
        currency=price_obj["currency"],
        description=description,
        subscription_item=item,
        period={"start": item["current_period_start"], "end": item["current_period_end"]},
        pricing={
            "type": "price_details",
            "price_details": {"price": price_obj["id"], "product": price_obj["product"]},
            "unit_amount_decimal": price_obj["unit_amount_decimal"],
        },
        quantity=item["quantity"],
    )


def invoice(
    *,
    customer_obj: dict[str, Any],
    subscription_obj: dict[str, Any],
    billing_reason: str,
    descriptions: list[str],
    period: tuple[int, int],
    created: int,
    items: list[dict[str, Any]] | None = None,
    invoice_id: str | None = None,
) -> dict[str, Any]:
    """A draft invoice for the subscription's items (or ``items``), one line each."""
    invoice_id = invoice_id or new_id("in_")
    items = subscription_obj["items"]["data"] if items is None else items
    lines = [
        invoice_line(item=item, invoice_id=invoice_id, description=description)
        for item, description in zip(items, descriptions, strict=True)
    ]
    total = sum(line["amount"] for line in lines)
    return {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "DE",
        "account_name": "Local Stripe",
        "account_tax_ids": None,
        "amount_due": total,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": total,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": True,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "created": created,
        "currency": subscription_obj["currency"],
        "custom_fields": None,
        "customer": customer_obj["id"],
        "customer_address": None,
        "customer_email": customer_obj["email"],
        "customer_name": customer_obj["name"],
        "customer_phone": customer_obj["phone"],
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": list_object(lines, f"/v1/invoices/{invoice_id}/lines"),
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(subscription_obj["metadata"]),
                "subscription": subscription_obj["id"],
            },
        },
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": period[1],
        "period_start": period[0],
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "test_clock": None,
        "total": total,
        "total_discount_amounts": [],
        "total_excluding_tax": total,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
    }


CURRENCY_SYMBOLS = {"eur": "€", "usd": "$", "gbp": "£"}


def format_amount(amount: int, currency: str) -> str:
    """``1900, "eur"`` -> ``€19.00``; ``-667`` -> ``-€6.67``."""
    symbol = CURRENCY_SYMBOLS.get(currency.lower())
    value = f"{abs(amount) / 100:,.2f}"
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{value}" if symbol else f"{sign}{value} {currency.upper()}"


def describe_line(price_obj: dict[str, Any], product_name: str, quantity: int) -> str:
    """Stripe's line description: ``1 × Pro (at €19.00 / month)``."""
    amount = format_amount(price_obj["unit_amount"], price_obj["currency"])
    recurring = price_obj["recurring"]
    if recurring is None:
        return f"{quantity} × {product_name}"
    return f"{quantity} × {product_name} (at {amount} / {recurring['interval']})"
