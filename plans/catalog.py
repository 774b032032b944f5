"""The plan catalog: loaded once from ``plans.toml`` and validated.

The catalog is data. Views, templates, entitlements and the Stripe sync all read it from here.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from plans.billing_terms import BillingTerms, BillingTermsError, parse_billing_terms
from plans.coupons import Coupon, CouponError, parse_coupons

DEFAULT_PATH = Path(__file__).with_name("plans.toml")
INTERVALS = ("month", "year")


class CatalogError(ValueError):
    """The catalog file is not valid; the message names the offending entry."""


@dataclass(frozen=True)
class Price:
    lookup_key: str
    amount: int  # cents
    interval: str


@dataclass(frozen=True)
class SiteTemplate:
    id: str
    name: str
    requires: str | None = None


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    tagline: str
    grace_days: int
    features: frozenset[str]
    limits: dict[str, int | None]  # None means unlimited
    prices: dict[str, Price]
    highlight: bool = False
    trial_days: int = 0  # a free trial before the first payment (0: none)
    # The platform's share of each webshop sale, in basis points of the goods (200 = 2%).
    shop_fee_basis_points: int = 0

    def shop_fee(self, amount_cents: int) -> int:
        """The application fee on a sale of ``amount_cents``, rounded half up to a cent."""
        return (amount_cents * self.shop_fee_basis_points + 5_000) // 10_000

    def has(self, feature: str) -> bool:
        return feature in self.features

    def limit(self, name: str) -> int | None:
        return self.limits[name]


@dataclass(frozen=True)
class Catalog:
    currency: str
    features: dict[str, str]  # id -> label, in display order
    limits: dict[str, str]
    templates: dict[str, SiteTemplate]
    plans: dict[str, Plan]
    _by_lookup_key: dict[str, tuple[Plan, Price]] = field(repr=False)
    billing: BillingTerms = BillingTerms()
    coupons: dict[str, Coupon] = field(default_factory=dict)

    def retention_coupon(self) -> Coupon | None:
        """The offer made once to a tenant on its way out (``[billing] retention_coupon``)."""
        return self.coupons.get(self.billing.retention_coupon or "")

    def plan(self, plan_id: str) -> Plan | None:
        return self.plans.get(plan_id)

    def by_lookup_key(self, lookup_key: str) -> tuple[Plan, Price] | None:
        return self._by_lookup_key.get(lookup_key)

    def templates_for(self, plan: Plan) -> list[SiteTemplate]:
        return [t for t in self.templates.values() if t.requires is None or plan.has(t.requires)]

    def plans_with(self, feature: str) -> list[Plan]:
        return [p for p in self.plans.values() if p.has(feature)]

    def all_prices(self) -> list[tuple[Plan, Price]]:
        return list(self._by_lookup_key.values())


def _require(mapping: dict, key: str, where: str):
    if key not in mapping:
        raise CatalogError(f"{where}: missing '{key}'")
    return mapping[key]


def _parse_limit(value, where: str) -> int | None:
    if value == "unlimited":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise CatalogError(f"{where}: must be a whole number or \"unlimited\", got {value!r}")
    if value < 0:
        raise CatalogError(f"{where}: must not be negative, got {value}")
    return value


def _trial_days(value, where: str) -> int:
    days = _parse_limit(value, f"{where} trial_days")
    if days is None or days > 730:  # Stripe's longest trial
        raise CatalogError(f"{where} trial_days: a number of days up to 730")
    return days


def _shop_fee(value, where: str) -> int:
    """``shop_fee_percent = 2`` or ``0.5`` → basis points (200, 50)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 20:
        raise CatalogError(f"{where} shop_fee_percent: a percentage from 0 to 20")
    basis_points = round(value * 100, 6)
    if basis_points != int(basis_points):
        raise CatalogError(f"{where} shop_fee_percent: at most two decimals")
    return int(basis_points)


def _parse_plan(raw: dict, features: dict, limits: dict) -> Plan:
    plan_id = _require(raw, "id", "plan")
    where = f"plan '{plan_id}'"
    plan_features = _require(raw, "features", where)
    for feature in plan_features:
        if feature not in features:
            raise CatalogError(f"{where}: unknown feature '{feature}'")
    raw_limits = _require(raw, "limits", where)
    for name in raw_limits:
        if name not in limits:
            raise CatalogError(f"{where}: unknown limit '{name}'")
    missing = [name for name in limits if name not in raw_limits]
    if missing:
        raise CatalogError(f"{where}: missing limits {', '.join(missing)}")
    grace_days = _parse_limit(_require(raw, "grace_days", where), f"{where} grace_days")
    if grace_days is None:
        raise CatalogError(f"{where} grace_days: must be a number of days")
    prices = {}
    for interval in INTERVALS:
        raw_price = _require(_require(raw, "prices", where), interval, f"{where} prices")
        amount = _parse_limit(_require(raw_price, "amount", where), f"{where} {interval} amount")
        if amount is None:
            raise CatalogError(f"{where} {interval} amount: must be a number of cents")
        prices[interval] = Price(_require(raw_price, "lookup_key", where), amount, interval)
    return Plan(
        id=plan_id,
        name=_require(raw, "name", where),
        tagline=raw.get("tagline", ""),
        grace_days=grace_days,
        features=frozenset(plan_features),
        limits={name: _parse_limit(raw_limits[name], f"{where} limit '{name}'") for name in limits},
        prices=prices,
        highlight=bool(raw.get("highlight", False)),
        trial_days=_trial_days(raw.get("trial_days", 0), where),
        shop_fee_basis_points=_shop_fee(raw.get("shop_fee_percent", 0), where),
    )


def parse_catalog(raw: dict) -> Catalog:
    features = dict(_require(raw, "features", "catalog"))
    limits = dict(_require(raw, "limits", "catalog"))
    templates = {}
    for template_id, spec in _require(raw, "templates", "catalog").items():
        requires = spec.get("requires")
        if requires is not None and requires not in features:
            raise CatalogError(f"template '{template_id}': unknown feature '{requires}'")
        templates[template_id] = SiteTemplate(template_id, spec.get("name", template_id), requires)
    plans: dict[str, Plan] = {}
    by_key: dict[str, tuple[Plan, Price]] = {}
    for raw_plan in _require(raw, "plans", "catalog"):
        plan = _parse_plan(raw_plan, features, limits)
        if plan.id in plans:
            raise CatalogError(f"plan '{plan.id}': duplicate plan id")
        plans[plan.id] = plan
        for price in plan.prices.values():
            if price.lookup_key in by_key:
                raise CatalogError(f"plan '{plan.id}': duplicate lookup key '{price.lookup_key}'")
            by_key[price.lookup_key] = (plan, price)
    if not plans:
        raise CatalogError("catalog: no plans defined")
    try:
        billing = parse_billing_terms(raw.get("billing", {}))
        coupons = parse_coupons(raw.get("coupons", {}))
    except (BillingTermsError, CouponError) as exc:
        raise CatalogError(str(exc)) from None
    if billing.retention_coupon and billing.retention_coupon not in coupons:
        raise CatalogError(f"billing retention_coupon: no coupon '{billing.retention_coupon}'")
    return Catalog(raw.get("currency", "eur"), features, limits, templates, plans, by_key, billing,
                   coupons)


def load_catalog(path: str | Path = DEFAULT_PATH) -> Catalog:
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except OSError as exc:
        raise CatalogError(f"cannot read plan catalog {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"plan catalog {path} is not valid TOML: {exc}") from exc
    try:
        return parse_catalog(raw)
    except CatalogError as exc:
        raise CatalogError(f"plan catalog {path}: {exc}") from exc


@cache
def default_catalog() -> Catalog:
    return load_catalog()
