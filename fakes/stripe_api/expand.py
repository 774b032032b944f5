"""``expand[]`` support: replace ids in an answer by the objects they name."""

import copy
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
}


def expand(obj: dict[str, Any], paths: list[str], store: Store) -> dict[str, Any]:
    """A copy of ``obj`` with each dotted path (``customer``, ``data.product``) expanded."""
    result = copy.deepcopy(obj)
    for path in paths:
        _expand(result, path.split("."), store, path)
    return result


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
