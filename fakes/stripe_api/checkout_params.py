"""Checkout Session parameters for tax, address, tax ID and payment method collection,
checked as Stripe checks them when the session is created.
"""

import time
from typing import Any

from .errors import invalid
from .params import Params
from .payment_methods import EUR_ONLY, METHOD_TYPES
from .store import DAY, BillingSettings

AUTO_NEVER = ("auto", "never")

# Checkout's languages (https://docs.stripe.com/api/checkout/sessions/create#locale), of which
# the app sends its own two.
CHECKOUT_LOCALES = ("auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et",
                    "fi", "fil", "fr", "fr-CA", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv",
                    "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv",
                    "th", "tr", "vi", "zh", "zh-HK", "zh-TW")


def read(
    params: Params, customer: dict[str, Any] | None, currency: str, settings: BillingSettings
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(session fields, internal settings)`` from the create request."""
    automatic_tax = params.nested("automatic_tax").flag("enabled", default=False)
    address_collection = (
        params.choice("billing_address_collection", ("auto", "required"))
        if "billing_address_collection" in params
        else None
    )
    tax_id_params = params.nested("tax_id_collection")
    collect_tax_ids = tax_id_params.flag("enabled", default=False)
    tax_id_required = tax_id_params.choice("required", ("never", "if_supported"), default="never")
    update = params.nested("customer_update")
    customer_update = {
        field: update.choice(field, AUTO_NEVER, default="never") for field in ("address", "name", "shipping")
    }
    if "customer_update" in params and customer is None:
        raise invalid("`customer_update` can only be used with `customer`.", param="customer_update")
    if customer is not None and collect_tax_ids and customer_update["name"] != "auto":
        raise invalid(
            "To collect tax IDs for existing customers, you must also set "
            "`customer_update[name]` to `auto`.",
            param="customer_update[name]",
        )
    if (
        customer is not None
        and automatic_tax
        and not customer["address"]
        and "auto" not in (customer_update["address"], customer_update["shipping"])
    ):
        raise invalid(
            "Automatic tax calculation in Checkout requires a valid address on the Customer. "
            "Add a valid address to the Customer or set either `customer_update[address]` to "
            "'auto' or `customer_update[shipping]` to 'auto' to save the address entered in "
            "Checkout to the Customer.",
            param="customer_update[address]",
        )
    method_types = read_method_types(params, currency, settings)
    fields = {
        "automatic_tax": {
            "enabled": automatic_tax,
            "liability": {"type": "self"} if automatic_tax else None,
            "provider": "stripe" if automatic_tax else None,
            "status": "requires_location_inputs" if automatic_tax else None,
        },
        "billing_address_collection": address_collection,
        "tax_id_collection": {"enabled": collect_tax_ids, "required": tax_id_required},
        "payment_method_types": method_types,
    }
    # Only types given explicitly are copied to the subscription's ``payment_settings``.
    internal = {"customer_update": customer_update, "explicit_types": "payment_method_types" in params}
    return fields, internal


def read_method_types(params: Params, currency: str, settings: BillingSettings) -> list[str]:
    """``payment_method_types[]`` (default: card), each enabled and fit for the currency."""
    method_types = params.strings("payment_method_types") or ["card"]
    for method_type in method_types:
        if method_type not in METHOD_TYPES or method_type not in settings.payment_method_types_enabled:
            raise invalid(
                f'The payment method type "{method_type}" is invalid. Please ensure the provided '
                "type is activated in your dashboard (https://dashboard.stripe.com/account/"
                "payments/settings) and your account is enabled for any preview features that "
                "you are trying to use.",
                param="payment_method_types",
            )
        if method_type in EUR_ONLY and currency != "eur":
            raise invalid(
                f"The payment method `{method_type}` cannot be used with currency "
                f"`{currency}`; it supports only `eur`.",
                param="payment_method_types",
            )
    return list(dict.fromkeys(method_types))


def collects_address(session: dict[str, Any]) -> bool:
    """The page asks for a billing address (and the payment requires one)."""
    return session["billing_address_collection"] == "required" or session["automatic_tax"]["enabled"]


def expires_at(params: Params) -> int | None:
    """Stripe's rule: 30 minutes to 24 hours after creation. Checkout Sessions live in real
    time (test clocks move subscriptions, not sessions), so the rule is checked against it;
    the fake clock still expires sessions whose moment it passes."""
    moment = params.integer("expires_at")
    if moment is None:
        return None
    now = int(time.time())
    if not now + 30 * 60 <= moment <= now + DAY:
        raise invalid("The `expires_at` timestamp must be between 30 minutes and 24 hours "
                      "after the Checkout Session is created.", param="expires_at")
    return moment


def read_locale(params: Params) -> str | None:
    return params.choice("locale", CHECKOUT_LOCALES, default=None) if "locale" in params else None
