"""Shipping rates (``shr_``, fixed amounts) and a Checkout Session's shipping options.

Rates made from ``shipping_options[n][shipping_rate_data]`` are kept like those made with
``POST /v1/shipping_rates``, by the account the session is for. Line items' tax rates do
not apply to shipping (as with Stripe's manual tax rates), so a shipping cost's
``amount_tax`` is 0.
"""

from typing import Any

from .api_catalog import TAX_BEHAVIORS
from .errors import invalid
from .params import Params
from .store import Store, new_id

MAX_OPTIONS = 5
DELIVERY_UNITS = ("business_day", "day", "hour", "month", "week")


def read_rate(data: Params, created: int) -> dict[str, Any]:
    """A new (not yet stored) shipping rate from ``shipping_rate_data`` or a create request."""
    data.choice("type", ("fixed_amount",), default="fixed_amount")
    fixed = data.nested("fixed_amount")
    amount = fixed.integer("amount", required=True)
    currency = (fixed.text("currency", required=True) or "").lower()
    return {
        "id": new_id("shr_"),
        "object": "shipping_rate",
        "active": True,
        "created": created,
        "delivery_estimate": _delivery_estimate(data),
        "display_name": data.text("display_name", required=True),
        "fixed_amount": {"amount": amount, "currency": currency},
        "livemode": False,
        "metadata": data.metadata(),
        "tax_behavior": data.choice("tax_behavior", TAX_BEHAVIORS, default="unspecified"),
        "tax_code": data.text("tax_code") or None,
        "type": "fixed_amount",
    }


def _delivery_estimate(data: Params) -> dict[str, Any] | None:
    if "delivery_estimate" not in data:
        return None
    estimate = data.nested("delivery_estimate")
    bounds = {}
    for bound in ("minimum", "maximum"):
        if bound in estimate:
            given = estimate.nested(bound)
            bounds[bound] = {
                "unit": given.choice("unit", DELIVERY_UNITS),
                "value": given.integer("value", required=True, minimum=1),
            }
    return {"maximum": bounds.get("maximum"), "minimum": bounds.get("minimum")} if bounds else None


def read_options(
    params: Params, currency: str, store: Store, created: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(the session's shipping_options, the rates to store)``, checked as Stripe does."""
    records = params.records("shipping_options")
    if len(records) > MAX_OPTIONS:
        raise invalid(f"You may only specify up to {MAX_OPTIONS} shipping options.", param="shipping_options")
    options, new_rates = [], []
    for record in records:
        rate_id, has_data = record.text("shipping_rate"), "shipping_rate_data" in record
        if bool(rate_id) == has_data:
            raise invalid(
                "You must specify exactly one of `shipping_rate` or `shipping_rate_data`.",
                param=record.param("shipping_rate"),
            )
        if rate_id:
            rate = store.get("shipping_rate", rate_id)
            if rate is None:
                raise invalid(
                    f"No such shipping rate: '{rate_id}'",
                    param=record.param("shipping_rate"),
                    code="resource_missing",
                )
            if not rate["active"]:
                raise invalid(
                    f"The shipping rate `{rate_id}` is not active.", param=record.param("shipping_rate")
                )
        else:
            rate = read_rate(record.nested("shipping_rate_data"), created)
            new_rates.append(rate)
        if rate["fixed_amount"]["currency"] != currency:
            raise invalid(
                f"The currency of the shipping rate ({rate['fixed_amount']['currency']}) must match the "
                f"currency of the Checkout Session ({currency}).",
                param=record.param("shipping_rate_data"),
            )
        options.append({"shipping_amount": rate["fixed_amount"]["amount"], "shipping_rate": rate["id"]})
    return options, new_rates


def shipping_cost(option: dict[str, Any]) -> dict[str, Any]:
    """The session's ``shipping_cost`` for the chosen option."""
    amount = option["shipping_amount"]
    return {
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "shipping_rate": option["shipping_rate"],
    }
