"""The webshop's settings: whether it takes orders (plan, site state, connected account) and
how orders reach the buyer (flat rate, free above an amount, pick-up).

The Stripe side of the connected account is ``billing.connect_accounts``; this module keeps
what the platform knows of it, written from Stripe's answers and ``account.updated`` events.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from db.base import utcnow
from db.messages import N_, Message
from db.models import Shop, Tenant
from db.refusals import Refused
from plans.access import access_for
from plans.catalog import Catalog
from plans.entitlements import may_use

# Where a shop may ship to: the EU, where Dutch shops sell most (ISO 3166-1 alpha-2).
COUNTRIES = ("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
             "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK")
VAT_RATES = (21, 9, 0)  # the Dutch rates: general, reduced (food, books), zero


@dataclass(frozen=True)
class ShippingOption:
    code: str  # flat, free, pickup
    label: str  # N_ text, or Message with the pick-up address
    cents: int


@dataclass(frozen=True)
class ShippingValues:
    flat_rate_cents: int | None
    free_above_cents: int | None
    pickup: bool
    pickup_address: str
    ship_countries: list[str]


def shop_of(session: Session, tenant_id: int) -> Shop | None:
    return session.get(Shop, tenant_id)


def ensure_shop(session: Session, tenant_id: int, *, lock: bool = False) -> Shop:
    """The tenant's shop row, made with the default shipping when it has none. Flushes."""
    shop = session.get(Shop, tenant_id, with_for_update=lock or None)
    if shop is None:
        shop = Shop(tenant_id=tenant_id, charges_enabled=False, payouts_enabled=False,
                    details_submitted=False, requirements_due=[], flat_rate_cents=495,
                    pickup=False, pickup_address="", ship_countries=["NL", "BE"], tax_rates={})
        session.add(shop)
        session.flush()
    return shop


def sells(catalog: Catalog, tenant: Tenant, shop: Shop | None) -> bool:
    """Whether the site takes orders now: the plan has the webshop, the site is live (not
    suspended or closed) and the connected account can take payments."""
    return (shop is not None and shop.takes_orders and may_use(catalog, tenant, "webshop")
            and access_for(tenant).site_is_public)


def connected(shop: Shop, account: dict) -> None:
    """Keep what Stripe says of the account (its id, whether it can be paid and pay out)."""
    requirements = account.get("requirements") or {}
    shop.stripe_account_id = account["id"]
    shop.charges_enabled = bool(account.get("charges_enabled"))
    shop.payouts_enabled = bool(account.get("payouts_enabled"))
    shop.details_submitted = bool(account.get("details_submitted"))
    shop.requirements_due = list(requirements.get("currently_due") or [])[:50]
    if shop.connected_at is None and shop.charges_enabled:
        shop.connected_at = utcnow()


def disconnect(shop: Shop) -> None:
    """Stop new orders at once. The account id stays: paid orders can still be refunded, and
    connecting again reuses the account."""
    shop.disconnected_at = utcnow()


def reconnect(shop: Shop) -> None:
    shop.disconnected_at = None


def shipping_options(shop: Shop, goods_cents: int) -> list[ShippingOption]:
    """The ways this order can reach the buyer, cheapest first."""
    options = []
    if shop.free_above_cents is not None and goods_cents >= shop.free_above_cents:
        options.append(ShippingOption("free", N_("Free shipping"), 0))
    elif shop.flat_rate_cents is not None:
        options.append(ShippingOption("flat", N_("Shipping"), shop.flat_rate_cents))
    if shop.pickup:
        label = Message(N_("Pick up at %(address)s"), address=shop.pickup_address) \
            if shop.pickup_address else N_("Pick up")
        options.append(ShippingOption("pickup", label, 0))
    return sorted(options, key=lambda option: option.cents)


def save_shipping(shop: Shop, values: ShippingValues) -> None:
    if values.flat_rate_cents is None and values.free_above_cents is None and not values.pickup:
        raise Refused(N_("Offer at least one way to get the order: shipping or pick-up."))
    if values.free_above_cents is not None and values.flat_rate_cents is None:
        raise Refused(N_("Free shipping above an amount needs a shipping rate for smaller "
                         "orders."), "free_above")
    if values.pickup and not values.pickup_address.strip():
        raise Refused(N_("Say where orders can be picked up."), "pickup_address")
    unknown = [code for code in values.ship_countries if code not in COUNTRIES]
    if unknown or (values.flat_rate_cents is not None and not values.ship_countries):
        raise Refused(N_("Choose the countries you ship to."), "ship_countries")
    shop.flat_rate_cents = values.flat_rate_cents
    shop.free_above_cents = values.free_above_cents
    shop.pickup = values.pickup
    shop.pickup_address = values.pickup_address.strip()
    shop.ship_countries = sorted(set(values.ship_countries))
