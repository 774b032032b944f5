"""Entitlements: "may this tenant use feature F" and "how much of limit L is left".

Answers come from the plan catalog and the tenant's current plan. Every gated view, API
endpoint and service asks here. Creation under a limit locks the tenant row first, so two
simultaneous creations cannot both take the last free unit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing.catalog import Catalog, Plan
from db.base import utcnow
from db.models import Invite, MediaFile, Page, Product, Tenant, User

MB = 1024 * 1024


class FeatureNotInPlan(Exception):
    def __init__(self, feature: str, label: str, plans: list[Plan]):
        super().__init__(f"{label} is not part of your plan.")
        self.feature, self.label, self.plans = feature, label, plans


# How each limit reads in a sentence: "your plan's limit of 10 pages".
LIMIT_NOUNS = {"pages": "pages", "users": "team members", "media_mb": "MB of media storage",
               "products": "products", "api_rpm": "API requests per minute"}


class LimitReached(Exception):
    def __init__(self, usage: Usage):
        noun = LIMIT_NOUNS.get(usage.name, usage.label.lower())
        super().__init__(f"You have reached your plan's limit of {usage.limit:,} {noun}.")
        self.usage = usage


@dataclass(frozen=True)
class Usage:
    name: str
    label: str
    used: int
    limit: int | None  # None: unlimited

    @property
    def left(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)

    @property
    def percent(self) -> int:
        if not self.limit:
            return 0 if self.limit is None else 100
        return min(100, round(100 * self.used / self.limit))


def plan_of(catalog: Catalog, tenant: Tenant) -> Plan:
    return catalog.plan(tenant.plan_id)


def may_use(catalog: Catalog, tenant: Tenant, feature: str) -> bool:
    return plan_of(catalog, tenant).has(feature)


def require_feature(catalog: Catalog, tenant: Tenant, feature: str) -> None:
    if not may_use(catalog, tenant, feature):
        raise FeatureNotInPlan(feature, catalog.features[feature], catalog.plans_with(feature))


def _count(session: Session, model, tenant_id: int, *where) -> int:
    return session.scalar(select(func.count()).select_from(model)
                          .where(model.tenant_id == tenant_id, *where)) or 0


def used(session: Session, tenant: Tenant, name: str, api_requests: int = 0) -> int:
    match name:
        case "pages":
            return _count(session, Page, tenant.id)
        case "products":
            return _count(session, Product, tenant.id)
        case "users":
            pending = _count(session, Invite, tenant.id, Invite.accepted_at.is_(None),
                             Invite.expires_at > utcnow())
            return _count(session, User, tenant.id) + pending
        case "media_mb":
            total = session.scalar(select(func.coalesce(func.sum(MediaFile.size_bytes), 0))
                                   .where(MediaFile.tenant_id == tenant.id))
            return -(-int(total) // MB)  # whole megabytes, rounded up
        case "api_rpm":
            return api_requests
    raise KeyError(name)


def usage(session: Session, catalog: Catalog, tenant: Tenant, name: str,
          api_requests: int = 0) -> Usage:
    return Usage(name, catalog.limits[name], used(session, tenant, name, api_requests),
                 plan_of(catalog, tenant).limit(name))


def all_usage(session: Session, catalog: Catalog, tenant: Tenant,
              api_requests: int = 0) -> list[Usage]:
    return [usage(session, catalog, tenant, name, api_requests) for name in catalog.limits]


def reserve(session: Session, catalog: Catalog, tenant: Tenant, name: str, amount: int = 1) -> Usage:
    """Lock the tenant and check that ``amount`` more fits; raise ``LimitReached`` if not.

    Call inside the transaction that creates the row; the lock lasts until it commits.
    """
    session.execute(select(Tenant.id).where(Tenant.id == tenant.id).with_for_update())
    current = usage(session, catalog, tenant, name)
    if current.limit is not None and current.used + amount > current.limit:
        raise LimitReached(current)
    return current


def media_bytes_fit(session: Session, catalog: Catalog, tenant: Tenant, size: int) -> None:
    """Like ``reserve`` for storage, counted in bytes."""
    session.execute(select(Tenant.id).where(Tenant.id == tenant.id).with_for_update())
    limit = plan_of(catalog, tenant).limit("media_mb")
    if limit is None:
        return
    total = session.scalar(select(func.coalesce(func.sum(MediaFile.size_bytes), 0))
                           .where(MediaFile.tenant_id == tenant.id))
    if int(total) + size > limit * MB:
        raise LimitReached(Usage("media_mb", catalog.limits["media_mb"], -(-int(total) // MB), limit))
