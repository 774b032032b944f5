"""Billing portal configurations: what the hosted portal offers its customers.

Portal sessions use the ``configuration`` they are given, else the default one
(``is_default``). Until one is made default, the account's own default stands in: plan
changes to any active recurring price with a lookup key (``products: null``, no
proration), cancel at period end, card updates and invoice history.
"""

from typing import Any

from .errors import invalid
from .params import Params
from .store import Store, new_id

FEEDBACK = ("customer_service", "low_quality", "missing_features", "other", "switched_service",
            "too_complex", "too_expensive", "unused")  # fmt: skip
ALLOWED_UPDATES = ("price", "promotion_code", "quantity")
PRORATIONS = ("always_invoice", "create_prorations", "none")


def configuration(config_id: str, created: int) -> dict[str, Any]:
    return {
        "id": config_id,
        "object": "billing_portal.configuration",
        "active": True,
        "application": None,
        "business_profile": {"headline": None, "privacy_policy_url": None, "terms_of_service_url": None},
        "created": created,
        "default_return_url": None,
        "features": {
            "customer_update": {"allowed_updates": [], "enabled": False},
            "invoice_history": {"enabled": True},
            "payment_method_update": {"enabled": True, "payment_method_configuration": None},
            "subscription_cancel": {
                "cancellation_reason": {"enabled": False, "feedback_options": None, "options": []},
                "enabled": True,
                "mode": "at_period_end",
                "proration_behavior": "none",
            },
            "subscription_pause": {"enabled": False},
            "subscription_update": {
                "billing_cycle_anchor": None,
                "default_allowed_updates": ["price"],
                "enabled": True,
                "products": None,
                "proration_behavior": "none",
                "schedule_at_period_end": {"conditions": []},
                "trial_update_behavior": "end_trial",
            },
        },
        "is_default": False,
        "livemode": False,
        "login_page": {"enabled": False, "url": None},
        "metadata": {},
        "name": None,
        "updated": created,
    }


def default(store: Store) -> dict[str, Any]:
    """The default configuration; the account's own one is made on first use."""
    for config in store.all("billing_portal.configuration"):
        if config["is_default"]:
            return config
    own_id = store.portal_configuration if not isinstance(store.account, str) else new_id("bpc_")
    config = configuration(own_id, store.now())  # a connected account's has an id of its own
    config["is_default"] = True
    return store.add(config)


def update(store: Store, config: dict[str, Any], params: Params) -> None:
    """Apply create/update parameters (checked first, then set)."""
    features = params.nested("features")
    current = config["features"]
    update_params = features.nested("subscription_update")
    subscription_update = dict(current["subscription_update"])
    if "enabled" in update_params:
        subscription_update["enabled"] = update_params.flag("enabled")
    if "default_allowed_updates" in update_params:
        allowed = update_params.strings("default_allowed_updates")
        if unknown := [name for name in allowed if name not in ALLOWED_UPDATES]:
            raise invalid(f"Invalid default_allowed_updates: {', '.join(unknown)}.",
                          param="features[subscription_update][default_allowed_updates]")  # fmt: skip
        subscription_update["default_allowed_updates"] = allowed
    if "proration_behavior" in update_params:
        subscription_update["proration_behavior"] = update_params.choice("proration_behavior", PRORATIONS)
    if "products" in update_params:
        subscription_update["products"] = [
            _product(store, entry) for entry in update_params.records("products")
        ]
    cancel_params = features.nested("subscription_cancel")
    cancel = {**current["subscription_cancel"]}
    if "enabled" in cancel_params:
        cancel["enabled"] = cancel_params.flag("enabled")
    if "mode" in cancel_params:
        cancel["mode"] = cancel_params.choice("mode", ("at_period_end", "immediately"))
    reason_params = cancel_params.nested("cancellation_reason")
    reason = {**cancel["cancellation_reason"]}
    if "enabled" in reason_params:
        reason["enabled"] = reason_params.flag("enabled")
    if "options" in reason_params:
        options = reason_params.strings("options")
        if unknown := [option for option in options if option not in FEEDBACK]:
            raise invalid(f"Invalid cancellation reason options: {', '.join(unknown)}.",
                          param="features[subscription_cancel][cancellation_reason][options]")  # fmt: skip
        reason["options"] = options
    if reason["enabled"] and not reason["options"]:
        raise invalid("Provide `options` for the enabled cancellation reason.",
                      param="features[subscription_cancel][cancellation_reason][options]")  # fmt: skip
    cancel["cancellation_reason"] = reason
    if subscription_update["enabled"] and not subscription_update["products"] and "products" in update_params:
        raise invalid("Provide at least one product to enable subscription updates.",
                      param="features[subscription_update][products]")  # fmt: skip
    for name in ("payment_method_update", "invoice_history"):
        flag = features.nested(name).flag("enabled")
        if flag is not None:
            current[name] = {**current[name], "enabled": flag}
    current["subscription_update"], current["subscription_cancel"] = subscription_update, cancel
    profile = params.nested("business_profile")
    for name in ("headline", "privacy_policy_url", "terms_of_service_url"):
        if name in profile:
            config["business_profile"][name] = profile.text(name) or None
    if "default_return_url" in params:
        config["default_return_url"] = params.text("default_return_url") or None
    if "name" in params:
        config["name"] = params.text("name") or None
    if (active := params.flag("active")) is not None:
        config["active"] = active
    config["metadata"] = params.metadata(config["metadata"])
    config["updated"] = store.now()
    if params.flag("is_default"):
        for other in store.all("billing_portal.configuration"):
            other["is_default"] = False
        config["is_default"] = True


def _product(store: Store, entry: Params) -> dict[str, Any]:
    product = store.require("product", entry.text("product", required=True), entry.param("product"))
    prices = entry.strings("prices")
    for price_id in prices:
        price = store.require("price", price_id, entry.param("prices"))
        if price["product"] != product["id"]:
            raise invalid(
                f"The price {price_id} does not belong to {product['id']}.", param=entry.param("prices")
            )
    return {
        "adjustable_quantity": {"enabled": False, "maximum": None, "minimum": 1},
        "prices": prices,
        "product": product["id"],
    }


def offered_prices(store: Store, config: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The prices the portal offers for plan changes; None: plan changes are off."""
    feature = config["features"]["subscription_update"]
    if not feature["enabled"]:
        return None
    if feature["products"] is None:
        return [p for p in reversed(store.all("price")) if p["active"] and p["recurring"] and p["lookup_key"]]
    ids = [price_id for product in feature["products"] for price_id in product["prices"]]
    prices = [store.get("price", price_id) for price_id in ids]
    return [price for price in prices if price and price["active"] and price["recurring"]]
