"""``expand[]`` support: replace ids in an answer by the objects they name, and add the
properties Stripe includes only when asked (a session's ``line_items``, a charge's
``refunds``)."""

import copy
from collections.abc import Callable
from typing import Any

from .errors import invalid
from .store import Store

_KIND_BY_PREFIX = {
    "cus_": "customer",
    "prod_": "product",
    "price_": "price",
    "sub_": "subscription",
    "in_": "invoice",
    "cs_": "checkout.session",
    "txr_": "tax_rate",
    "txi_": "tax_id",
    "pm_": "payment_method",
    "sub_sched_": "subscription_schedule",
    "di_": "discount",
    "promo_": "promotion_code",
    "ii_": "invoiceitem",
    "bpc_": "billing_portal.configuration",
    "pi_": "payment_intent",
    "ch_": "charge",
    "fee_": "application_fee",
    "re_": "refund",
    "shr_": "shipping_rate",
    "acct_": "account",
}

# Per includable property, what builds it from the rest of the paths that name it (for
# ``line_items.data.taxes``: ``["data.taxes"]``).
Includes = dict[str, Callable[[list[str]], Any]]


def expand(
    obj: dict[str, Any], paths: list[str], store: Store, includes: Includes | None = None
) -> dict[str, Any]:
    """A copy of ``obj`` with each dotted path (``customer``, ``data.product``) expanded."""
    result = copy.deepcopy(obj)
    includes = includes or {}
    for name, build in includes.items():
        tails = [path.removeprefix(name).removeprefix(".") for path in paths if path.split(".")[0] == name]
        if tails:
            result[name] = build([tail for tail in tails if tail])
    for path in paths:
        if path.split(".")[0] not in includes:
            _expand(result, path.split("."), store, path)
    return result


def included(
    items: list[dict[str, Any]], name: str, paths: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Copies of list items without the includable property ``name`` (like ``taxes``) unless
    ``data.<name>`` is asked for; returns them and the paths still to expand."""
    wanted = f"data.{name}" in paths
    shown = [{key: value for key, value in item.items() if wanted or key != name} for item in items]
    return shown, [path for path in paths if path != f"data.{name}"]


def _expand(node: Any, parts: list[str], store: Store, path: str) -> None:
    if isinstance(node, list):
        for element in node:
            _expand(element, parts, store, path)
        return
    head, rest = parts[0], parts[1:]
    if not isinstance(node, dict) or head not in node:
        raise invalid(f"This property cannot be expanded ({path}).", param="expand")
    if isinstance(node[head], str):
        node[head] = _resolve(node[head], store, path)
    elif isinstance(node[head], list) and not rest:  # a list of ids, like ``discounts``
        node[head] = [_resolve(v, store, path) if isinstance(v, str) else v for v in node[head]]
    if rest and node[head] is not None:
        _expand(node[head], rest, store, path)


def _resolve(object_id: str, store: Store, path: str) -> dict[str, Any]:
    for prefix, kind in _KIND_BY_PREFIX.items():
        if object_id.startswith(prefix) and (obj := store.get(kind, object_id)) is not None:
            return copy.deepcopy(obj)
    if (coupon := store.get("coupon", object_id)) is not None:  # coupon ids have no prefix
        return copy.deepcopy(coupon)
    raise invalid(f"This property cannot be expanded ({path}).", param="expand")
