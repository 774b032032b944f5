"""The back office's tenant list: search, filters, sorting and pages (``/admin/tenants``).

**Search** matches the start of, case-insensitively:

- the company name and the subdomain,
- the email address of any member (``users.email``), or its part after the @ ("bakery.nl"
  finds ``jan@bakery.nl``; "@bakery" too),
- any of the tenant's own domains (``custom_domains.name``, a name in Unicode is looked up in
  its stored IDNA form);

and exactly: a tenant id (digits, with or without a leading #) and a Stripe customer id
(``cus_...``). Matching is by prefix, not anywhere in the text ("bak" finds "Bakery Jansen",
not "De Bakkerij"): the embedded PostgreSQL (pgserver's build of PostgreSQL 16) has no pg_trgm
(``CREATE EXTENSION pg_trgm`` answers "extension is not available"), and without trigram
indexes ``'%abc%'`` reads every row. Each kind of match has a btree index on ``lower(...)`` in
``text_pattern_ops`` (migration 0020), which serves ``LIKE 'abc%'`` under any collation, and the
matches are a UNION of index scans.

**Filters**: plan (a catalog plan id), billing state (``BillingState``), health and trial.

- Health is ``failing`` when the tenant's provisioning run failed (and was not retried to the
  end since), one of its own domains is ``lost`` or ``misconfigured``, or it is past due;
  ``ok`` otherwise. Each row says which of those it is (``TenantRow.problems``).
- Trial: the tenant's subscription (``tenants.stripe_subscription_id``) is ``trialing``, or
  its ``trial_end`` is still ahead and it is not cancelled.

**Sorting**: newest or oldest first, company A–Z, plan (the catalog's order), billing state
(the life cycle's order), each ending in the tenant id so that pages never overlap.

**Pages** of ``size`` rows by offset, with an exact count: at 10,000 tenants both take a few
milliseconds (``bench/admin_tenants.py``). A page past the last has no rows; the count says
how many pages there are.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    case,
    exists,
    func,
    not_,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session

from db.base import utcnow
from db.messages import N_, Message
from db.models import CustomDomain, ProvisioningRun, Subscription, Tenant, User
from db.models.domains import DomainStatus
from db.models.provisioning import RunStatus
from db.models.tenants import BillingState, Role
from db.refusals import Refused
from plans.catalog import Catalog, default_catalog
from tenants.domains import normalise as domain_name

MAX_QUERY = 254  # the longest thing searched: an email address (a domain is 253)
MAX_SIZE = 200
MAX_ID = 2**31 - 1  # tenants.id is an integer

OK, FAILING = "ok", "failing"
HEALTH = (OK, FAILING)
# Why a tenant is failing, in the order a row lists them.
PROVISIONING_FAILED, DOMAIN_LOST, DOMAIN_MISCONFIGURED, PAST_DUE = (
    "provisioning_failed", "domain_lost", "domain_misconfigured", "past_due")
PROBLEMS = (PROVISIONING_FAILED, DOMAIN_LOST, DOMAIN_MISCONFIGURED, PAST_DUE)
BAD_DOMAINS = (DomainStatus.LOST, DomainStatus.MISCONFIGURED)

NEWEST, OLDEST, COMPANY, PLAN, STATE = "newest", "oldest", "company", "plan", "state"
SORTS = (NEWEST, OLDEST, COMPANY, PLAN, STATE)


@dataclass(frozen=True)
class TenantRow:
    """One line of the list."""

    id: int
    company: str
    subdomain: str
    plan_id: str
    billing_state: str
    owner_email: str | None  # the first owner's (a tenant may have several)
    created_at: datetime
    trial: bool  # on a free trial now
    trial_end: datetime | None  # when the trial ends, when known
    problems: tuple[str, ...]  # why it is failing (empty: ok), see the module's text

    @property
    def health(self) -> str:
        return FAILING if self.problems else OK


@dataclass(frozen=True)
class Page:
    rows: list[TenantRow]
    total: int  # tenants matching, on every page together
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def has_more(self) -> bool:
        return self.page * self.size < self.total


def search(session: Session, query: str = "", plan: str | None = None,
           billing_state: str | None = None, health: str | None = None,
           trial: bool | None = None, sort: str = NEWEST, page: int = 1, size: int = 50, *,
           catalog: Catalog | None = None) -> Page:
    """One page of the tenants matching ``query`` and the filters (None or "": any), in
    ``sort`` order. Refuses (400, a message naming the problem) a query over ``MAX_QUERY``
    characters, an unknown plan, state, health or sort, and a page or size out of range."""
    catalog = catalog or default_catalog()
    query = _cleaned(query)
    _check(catalog, query, plan, billing_state, health, sort, page, size)
    conditions = _filters(plan, billing_state, health, trial)
    if query:
        conditions.append(Tenant.id.in_(_matching(query)))
    total = session.scalar(select(func.count()).select_from(Tenant).where(*conditions))
    if (page - 1) * size >= total:
        return Page(rows=[], total=total, page=page, size=size)
    page_ids = list(session.scalars(select(Tenant.id).where(*conditions)
                                    .order_by(*_order(catalog, sort))
                                    .limit(size).offset((page - 1) * size)))
    return Page(rows=_rows(session, page_ids), total=total, page=page, size=size)


def _cleaned(query: str | None) -> str:
    """Spaces trimmed, control characters (a NUL cannot even be sent to PostgreSQL) dropped."""
    return re.sub(r"[\x00-\x1f\x7f]", "", query or "").strip()


def _check(catalog: Catalog, query: str, plan, billing_state, health, sort, page, size) -> None:
    if len(query) > MAX_QUERY:
        raise Refused(Message(N_("Search for at most %(count)s characters."), count=MAX_QUERY),
                      "q", 400)
    if plan and plan not in catalog.plans:
        raise Refused(N_("There is no such plan. Choose one from the list."), "plan", 400)
    if billing_state and billing_state not in {state.value for state in BillingState}:
        raise Refused(N_("There is no such billing state. Choose one from the list."),
                      "state", 400)
    if health and health not in HEALTH:
        raise Refused(N_("Health is either ok or failing."), "health", 400)
    if sort not in SORTS:
        raise Refused(N_("The list cannot be sorted that way."), "sort", 400)
    if page < 1:
        raise Refused(N_("Pages are numbered from 1."), "page", 400)
    if not 1 <= size <= MAX_SIZE:
        raise Refused(Message(N_("A page holds 1 to %(count)s tenants."), count=MAX_SIZE),
                      "size", 400)


def failing() -> ColumnElement[bool]:
    """The tenant (``tenants`` of the enclosing query) is failing; see the module's text."""
    return or_(
        Tenant.billing_state == BillingState.PAST_DUE,
        exists().where(ProvisioningRun.tenant_id == Tenant.id,
                       ProvisioningRun.status == RunStatus.FAILED),
        exists().where(CustomDomain.tenant_id == Tenant.id, CustomDomain.status.in_(BAD_DOMAINS)))


def trialing(now: datetime) -> ColumnElement[bool]:
    """The subscription is in its free trial: ``trialing``, or its trial end still ahead
    while it is not cancelled."""
    return or_(Subscription.status == "trialing",
               and_(Subscription.trial_end > now, Subscription.status != "canceled"))


def on_trial(now: datetime) -> ColumnElement[bool]:
    """The tenant (``tenants`` of the enclosing query) is on a free trial."""
    return exists().where(Subscription.id == Tenant.stripe_subscription_id, trialing(now))


def _filters(plan, billing_state, health, trial) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if plan:
        conditions.append(Tenant.plan_id == plan)
    if billing_state:
        conditions.append(Tenant.billing_state == billing_state)
    if health:
        conditions.append(failing() if health == FAILING else not_(failing()))
    if trial is not None:
        conditions.append(on_trial(utcnow()) if trial else not_(on_trial(utcnow())))
    return conditions


def _prefix(text: str) -> str:
    """A LIKE pattern for text starting with ``text`` (its own %, _ and \\ taken literally)."""
    return re.sub(r"([\\%_])", r"\\\1", text) + "%"


def _matching(query: str) -> Select:
    """The ids of the tenants the query finds: one index scan per kind of match, united."""
    text = query.lower()
    starts = _prefix(text)
    branches = [
        select(Tenant.id).where(func.lower(Tenant.company).like(starts)),
        select(Tenant.id).where(func.lower(Tenant.subdomain).like(starts)),
        select(User.tenant_id).where(func.lower(User.email).like(starts)),
    ]
    domain = text.removeprefix("@")
    if domain and "@" not in domain:  # the part after the @ of a member's address
        branches.append(select(User.tenant_id).where(
            func.split_part(func.lower(User.email), "@", 2).like(_prefix(domain))))
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text).split("/", 1)[0]  # a URL pasted whole
    if host:
        if not host.isascii():
            host = domain_name(host)  # stored in IDNA form: bäckerei.de -> xn--bckerei-5wa.de
        branches.append(select(CustomDomain.tenant_id).where(
            func.lower(CustomDomain.name).like(_prefix(host))))
    number = text.removeprefix("#")
    if number.isascii() and number.isdigit() and int(number) <= MAX_ID:
        branches.append(select(Tenant.id).where(Tenant.id == int(number)))
    if query.startswith("cus_"):
        branches.append(select(Tenant.id).where(Tenant.stripe_customer_id == query))
    return union(*branches)


def _order(catalog: Catalog, sort: str) -> list:
    company = func.lower(Tenant.company)
    match sort:
        case "oldest":
            return [Tenant.created_at, Tenant.id]
        case "company":
            return [company, Tenant.id]
        case "plan":
            plans = {plan_id: n for n, plan_id in enumerate(catalog.plans)}
            return [case(plans, value=Tenant.plan_id, else_=len(plans)), company, Tenant.id]
        case "state":
            states = {state.value: n for n, state in enumerate(BillingState)}
            return [case(states, value=Tenant.billing_state, else_=len(states)), company,
                    Tenant.id]
        case _:
            return [Tenant.created_at.desc(), Tenant.id.desc()]


def _rows(session: Session, page_ids: list[int]) -> list[TenantRow]:
    """The rows of these tenants, in this order, with their owner, trial and problems: one
    statement of one shape for every page (the ids are one array parameter), whose subqueries
    run for the page's rows only."""
    owner = select(User.email).where(User.tenant_id == Tenant.id, User.role == Role.OWNER) \
        .order_by(User.id).limit(1).scalar_subquery()

    def domain(status: DomainStatus):
        return exists().where(CustomDomain.tenant_id == Tenant.id, CustomDomain.status == status)

    found = {row.id: row for row in session.execute(
        select(Tenant.id, Tenant.company, Tenant.subdomain, Tenant.plan_id, Tenant.billing_state,
               Tenant.created_at, owner.label("owner_email"), Subscription.id.label("trial"),
               Subscription.trial_end,
               exists().where(ProvisioningRun.tenant_id == Tenant.id,
                              ProvisioningRun.status == RunStatus.FAILED).label(PROVISIONING_FAILED),
               domain(DomainStatus.LOST).label(DOMAIN_LOST),
               domain(DomainStatus.MISCONFIGURED).label(DOMAIN_MISCONFIGURED))
        .outerjoin(Subscription, and_(Subscription.id == Tenant.stripe_subscription_id,
                                      trialing(utcnow())))
        .where(Tenant.id == any_(bindparam("ids", page_ids, type_=ARRAY(Integer)))))}
    return [TenantRow(
        id=row.id, company=row.company, subdomain=row.subdomain, plan_id=row.plan_id,
        billing_state=row.billing_state, owner_email=row.owner_email, created_at=row.created_at,
        trial=row.trial is not None, trial_end=row.trial_end,
        problems=_problems(row))
        for row in (found[tenant_id] for tenant_id in page_ids if tenant_id in found)]


def _problems(row) -> tuple[str, ...]:
    have = {PROVISIONING_FAILED: row.provisioning_failed, DOMAIN_LOST: row.domain_lost,
            DOMAIN_MISCONFIGURED: row.domain_misconfigured,
            PAST_DUE: row.billing_state == BillingState.PAST_DUE}
    return tuple(problem for problem in PROBLEMS if have[problem])
