"""Where a visitor's cart lives: the session cookie of the site's host, one cart per tenant,
holding product ids and quantities only (never a price)."""

from __future__ import annotations

from flask import session

from tenants.cart import Cart


def cart_of(tenant_id: int) -> Cart:
    """A copy of the visitor's cart on this tenant's site (empty when none or unreadable)."""
    stored = (session.get("cart") or {}).get(str(tenant_id))
    if not isinstance(stored, dict):
        return {}
    return {key: value for key, value in stored.items()
            if isinstance(key, str) and isinstance(value, int)}


def save_cart(tenant_id: int, cart: Cart) -> None:
    carts = dict(session.get("cart") or {})
    if cart:
        carts[str(tenant_id)] = cart
    else:
        carts.pop(str(tenant_id), None)
    session["cart"] = carts
