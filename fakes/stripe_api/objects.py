"""Builders for Stripe-shaped catalog, customer and plumbing objects.

Field sets follow stripe-mock's fixtures at API version 2026-10-28; values that the
fake never sets are the ``null``/empty defaults a fresh test-mode object has.
"""

from typing import Any

from .errors import invalid
from .params import Params
from .store import new_id

API_VERSION = "2026-10-28.endive"
MAX_LIMIT = 100


def list_object(data: list[dict[str, Any]], url: str, has_more: bool = False) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def paginate(items: list[dict[str, Any]], params: Params, url: str) -> dict[str, Any]:
    """A page of ``items`` (newest first) per ``limit``/``starting_after``/``ending_before``."""
    limit = params.integer("limit", default=10, minimum=1)
    if limit > MAX_LIMIT:
        raise invalid(f"Invalid limit: must be at most {MAX_LIMIT}.", param="limit")
    ids = [item["id"] for item in items]
    after, before = params.text("starting_after"), params.text("ending_before")
    if after is not None:
        if after not in ids:
            raise invalid(f"No such object: '{after}'", param="starting_after")
        page = items[ids.index(after) + 1 :][:limit]
        has_more = ids.index(after) + 1 + limit < len(items)
    elif before is not None:
        if before not in ids:
            raise invalid(f"No such object: '{before}'", param="ending_before")
        page = items[: ids.index(before)][-limit:]
        has_more = ids.index(before) > limit
    else:
        page, has_more = items[:limit], len(items) > limit
    return list_object(page, url, has_more)


def customer(
    *,
    email: str | None,
    name: str | None,
    metadata: dict[str, str],
    created: int,
    description: str | None = None,
    phone: str | None = None,
    preferred_locales: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id("cus_", 14),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": created,
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": description,
        "discount": None,
        "email": email,
        "invoice_prefix": new_id("", 8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": metadata,
        "name": name,
        "next_invoice_sequence": 1,
        "phone": phone,
        "preferred_locales": preferred_locales or [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def product(
    *, name: str, description: str | None, metadata: dict[str, str], active: bool, created: int
) -> dict[str, Any]:
    return {
        "id": new_id("prod_", 14),
        "object": "product",
        "active": active,
        "created": created,
        "default_price": None,
        "description": description,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": metadata,
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": created,
        "url": None,
    }


def price(
    *,
    product_id: str,
    unit_amount: int,
    currency: str,
    recurring: dict[str, Any] | None,
    lookup_key: str | None,
    nickname: str | None,
    metadata: dict[str, str],
    active: bool,
    created: int,
) -> dict[str, Any]:
    return {
        "id": new_id("price_"),
        "object": "price",
        "active": active,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": metadata,
        "nickname": nickname,
        "product": product_id,
        "recurring": recurring
        and {
            "interval": recurring["interval"],
            "interval_count": recurring["interval_count"],
            "meter": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        },
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if recurring else "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }


def plan(price_obj: dict[str, Any]) -> dict[str, Any]:
    """The legacy ``plan`` view of a recurring price, still sent on subscription items."""
    recurring = price_obj["recurring"]
    return {
        "id": price_obj["id"],
        "object": "plan",
        "active": price_obj["active"],
        "amount": price_obj["unit_amount"],
        "amount_decimal": price_obj["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price_obj["created"],
        "currency": price_obj["currency"],
        "interval": recurring["interval"],
        "interval_count": recurring["interval_count"],
        "livemode": False,
        "metadata": price_obj["metadata"],
        "meter": None,
        "nickname": price_obj["nickname"],
        "product": price_obj["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def portal_session(
    *, customer_id: str, return_url: str | None, configuration: str, base_url: str, created: int
) -> dict[str, Any]:
    session_id = new_id("bps_")
    return {
        "id": session_id,
        "object": "billing_portal.session",
        "configuration": configuration,
        "created": created,
        "customer": customer_id,
        "flow": None,
        "livemode": False,
        "locale": None,
        "on_behalf_of": None,
        "return_url": return_url,
        "url": f"{base_url}/billing_portal/{session_id}",
    }


def webhook_endpoint(
    *,
    url: str,
    enabled_events: list[str],
    description: str | None,
    metadata: dict[str, str],
    created: int,
) -> dict[str, Any]:
    return {
        "id": new_id("we_"),
        "object": "webhook_endpoint",
        "api_version": None,
        "application": None,
        "created": created,
        "description": description,
        "enabled_events": enabled_events,
        "livemode": False,
        "metadata": metadata,
        "status": "enabled",
        "url": url,
    }


def event(
    *,
    event_type: str,
    data_object: dict[str, Any],
    previous_attributes: dict[str, Any] | None,
    pending_webhooks: int,
    created: int,
    account: str | None = None,
) -> dict[str, Any]:
    """An event; one about a connected account's objects names it in ``account``."""
    data: dict[str, Any] = {"object": data_object}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    connect = {"account": account} if account is not None else {}
    return {
        "id": new_id("evt_"),
        "object": "event",
        **connect,
        "api_version": API_VERSION,
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": pending_webhooks,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
