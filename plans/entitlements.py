"""Entitlements: "may this tenant use feature F" and "how much of limit L is left".

Answers come from the plan catalog and the tenant's current plan. Every gated view, API
endpoint and service asks here. Creation under a limit locks the tenant row first, so two
simultaneous creations cannot both take the last free unit.

What a limit counts: ``pages`` every page, drafts included (the meter, creation and the site
agree); ``products`` every product, shown or hidden; ``users`` the members plus open
invitations; ``media_mb`` the bytes of every stored file; ``ai_requests`` the assistant's
requests this calendar month (UTC), those the provider failed not counted.

After a downgrade a tenant may hold more than its plan allows. Nothing is deleted: the rows
within the limit stay live, the rest are kept read-only and off the public site (``kept``).
Within the limit are the oldest by creation (owners first for members; for media, the oldest
files up to the plan's storage). So the choice is predictable, and deleting an item or
upgrading brings the next oldest back at once. Every action that puts a row to use again
(publishing, editing, showing, a role change) asks ``require_kept`` under the tenant lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import AssistantRequest, Invite, MediaFile, Page, Product, Tenant, User
from db.models.assistant import RequestStatus
from db.models.tenants import Role
from plans.catalog import Catalog, Plan

MB = 1024 * 1024


class FeatureNotInPlan(Exception):
    def __init__(self, feature: str, label: str, plans: list[Plan]):
        super().__init__(f"{label} is not part of your plan.")
        self.feature, self.label, self.plans = feature, label, plans


# How each limit reads in a sentence: "your plan's limit of 10 pages".
LIMIT_NOUNS = {"pages": "pages", "users": "team members", "media_mb": "MB of media storage",
               "products": "products", "api_rpm": "API requests per minute",
               "ai_requests": "AI requests this month"}


# What an item over the limit cannot do until the plan grows, and how else to make room.
OVER_LIMIT_ACTIONS = {"pages": "edit or publish it", "products": "edit it or show it in your shop",
                      "users": "change their role", "media_mb": "show it on your site"}
MAKING_ROOM = {"pages": "delete pages", "products": "delete products", "users": "remove members",
               "media_mb": "delete files"}


class LimitReached(Exception):
    def __init__(self, usage: Usage):
        noun = LIMIT_NOUNS.get(usage.name, usage.label.lower())
        super().__init__(f"You have reached your plan's limit of {usage.limit:,} {noun}.")
        self.usage = usage


class OverLimit(Exception):
    """The row is stored but lies beyond the plan's limit (after a downgrade): read-only."""

    def __init__(self, usage: Usage):
        noun = LIMIT_NOUNS.get(usage.name, usage.label.lower())
        action = OVER_LIMIT_ACTIONS.get(usage.name, "change it")
        room = MAKING_ROOM.get(usage.name, "delete what you no longer need")
        super().__init__(f"This is over your plan's limit of {usage.limit:,} {noun}: upgrade to "
                         f"{action}, or {room} you no longer need. Nothing was changed.")
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
    def over(self) -> int:
        """How many more than the plan allows (after a downgrade); 0 within the limit."""
        return 0 if self.limit is None else max(0, self.used - self.limit)

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


def month_start() -> datetime:
    """The start of this calendar month (UTC): what a monthly limit counts from."""
    return utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)


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
        case "ai_requests":  # this calendar month (UTC); a request the provider failed is free
            return _count(session, AssistantRequest, tenant.id,
                          AssistantRequest.created_at >= month_start(),
                          AssistantRequest.status != RequestStatus.FAILED)
    raise KeyError(name)


def usage(session: Session, catalog: Catalog, tenant: Tenant, name: str,
          api_requests: int = 0) -> Usage:
    return Usage(name, catalog.limits[name], used(session, tenant, name, api_requests),
                 plan_of(catalog, tenant).limit(name))


def all_usage(session: Session, catalog: Catalog, tenant: Tenant,
              api_requests: int = 0) -> list[Usage]:
    return [usage(session, catalog, tenant, name, api_requests) for name in catalog.limits]


def _lock(session: Session, tenant: Tenant) -> None:
    session.execute(select(Tenant.id).where(Tenant.id == tenant.id).with_for_update())


def reserve(session: Session, catalog: Catalog, tenant: Tenant, name: str, amount: int = 1) -> Usage:
    """Lock the tenant and check that ``amount`` more fits; raise ``LimitReached`` if not.

    Call inside the transaction that creates the row; the lock lasts until it commits.
    """
    _lock(session, tenant)
    current = usage(session, catalog, tenant, name)
    if current.limit is not None and current.used + amount > current.limit:
        raise LimitReached(current)
    return current


def media_bytes_fit(session: Session, catalog: Catalog, tenant: Tenant, size: int) -> None:
    """Like ``reserve`` for storage, counted in bytes."""
    _lock(session, tenant)
    limit = plan_of(catalog, tenant).limit("media_mb")
    if limit is None:
        return
    total = session.scalar(select(func.coalesce(func.sum(MediaFile.size_bytes), 0))
                           .where(MediaFile.tenant_id == tenant.id))
    if int(total) + size > limit * MB:
        raise LimitReached(Usage("media_mb", catalog.limits["media_mb"], -(-int(total) // MB), limit))


# The rows each limit counts, and which of them stay live when there are more than allowed.
LIMITED_ROWS = {"pages": Page, "products": Product, "users": User, "media_mb": MediaFile}


def _oldest_first(model) -> tuple:
    if model is User:  # owners keep their places first, so the team can always be managed
        return (User.role != Role.OWNER, User.created_at, User.id)
    return (model.created_at, model.id)


def kept(name: str, tenant_id: int, limit: int | None) -> ColumnElement[bool]:
    """SQL condition on ``LIMITED_ROWS[name]``: the row is within a limit of ``limit``.

    The oldest rows by creation are within it; for media, the oldest files whose sizes add up
    to at most the storage limit. Always true without a limit.
    """
    model = LIMITED_ROWS[name]
    if limit is None:
        return true()
    if model is MediaFile:
        running = func.sum(MediaFile.size_bytes).over(order_by=_oldest_first(MediaFile))
        totals = (select(MediaFile.id, running.label("running"))
                  .where(MediaFile.tenant_id == tenant_id).subquery())
        return MediaFile.id.in_(select(totals.c.id).where(totals.c.running <= limit * MB))
    oldest = (select(model.id).where(model.tenant_id == tenant_id)
              .order_by(*_oldest_first(model)).limit(limit))
    return model.id.in_(oldest)


def within_plan(catalog: Catalog, tenant: Tenant, name: str) -> ColumnElement[bool]:
    """``kept`` for the tenant's current plan."""
    return kept(name, tenant.id, plan_of(catalog, tenant).limit(name))


def over_limit_ids(session: Session, catalog: Catalog, tenant: Tenant, name: str) -> set[int]:
    """The ids of the tenant's rows beyond its plan's limit: kept, read-only, not on the site."""
    if plan_of(catalog, tenant).limit(name) is None:
        return set()
    model = LIMITED_ROWS[name]
    return set(session.scalars(select(model.id).where(
        model.tenant_id == tenant.id, ~within_plan(catalog, tenant, name))))


def is_kept(session: Session, catalog: Catalog, tenant: Tenant, name: str, row_id: int) -> bool:
    """Whether this stored row is within the plan's limit (for showing; changes ask
    ``require_kept``)."""
    if plan_of(catalog, tenant).limit(name) is None:
        return True
    model = LIMITED_ROWS[name]
    return session.scalar(select(model.id).where(
        model.id == row_id, within_plan(catalog, tenant, name))) is not None


def require_kept(session: Session, catalog: Catalog, tenant: Tenant, name: str, row_id: int) -> None:
    """Lock the tenant and raise ``OverLimit`` when this stored row is beyond the plan's limit.

    Every change that puts a row to use (publish, edit, show, a new role) asks this first, in
    the transaction that makes the change; the lock lasts until it commits.
    """
    _lock(session, tenant)
    if not is_kept(session, catalog, tenant, name, row_id):
        raise OverLimit(usage(session, catalog, tenant, name))
