"""Which tenant a custom domain serves, answered from memory on the hot path.

Every web process keeps a map of the served domains (verified, and lost ones until their grace
ends) to their tenant, and of each tenant's main address, loaded from the database in one
query. A version number in Redis (``VERSION_KEY``) says when the map is out of date: whatever
changes a domain's state (the portal's add, remove and "Make primary"; the DNS verifier) calls
``invalidate`` after its commit, which bumps the number and drops the calling process's own map
at once. Other processes compare the number at most once per ``CHECK_EVERY`` second and load
the map again when it moved, so a removed domain stops being served within a second
everywhere (at once on the process that removed it), and a request costs no database query for
the lookup, only a Redis GET once a second per process. A map is also loaded again after
``MAX_AGE`` whatever the number says (a bump lost while Redis was down, or Redis's data lost).

When Redis does not answer, the request looks its one name up in the database instead
(``find``, ``find_primary``), and the map is dropped, to be loaded again when Redis is back.

The grace of a lost domain is decided at lookup time (``Route.served``), so it ends on time
without a bump. Plans are checked by the caller against the catalog (``Route.plan_id``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from db.models import CustomDomain, DomainStatus, Tenant

VERSION_KEY = "contyzr:domains:version"
CHECK_EVERY = 1.0  # seconds between two looks at the version, per process
MAX_AGE = 300.0  # seconds after which a map is loaded again anyway

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """A custom domain that may be served: whose, and until when."""

    name: str  # IDNA form
    tenant_id: int
    subdomain: str
    plan_id: str
    lost_at: datetime | None  # None: verified

    def served(self, now: datetime, grace: timedelta) -> bool:
        return self.lost_at is None or now < self.lost_at + grace


@dataclass(frozen=True)
class Routes:
    by_name: dict[str, Route] = field(default_factory=dict)
    primary_by_subdomain: dict[str, str] = field(default_factory=dict)  # -> domain name


def _served_rows():
    """Verified domains and lost ones (served until their grace ends), verified ones last so
    that a name proven by a new owner wins over the old owner's lost row."""
    return (select(CustomDomain.name, CustomDomain.status, CustomDomain.lost_at,
                   CustomDomain.is_primary, Tenant.id, Tenant.subdomain, Tenant.plan_id)
            .join(Tenant, Tenant.id == CustomDomain.tenant_id)
            .where(or_(CustomDomain.status == DomainStatus.VERIFIED,
                       and_(CustomDomain.status == DomainStatus.LOST,
                            CustomDomain.lost_at.is_not(None))))
            .order_by(CustomDomain.status == DomainStatus.VERIFIED, CustomDomain.id))


def _route(row) -> Route:
    name, status, lost_at, _primary, tenant_id, subdomain, plan_id = row
    return Route(name, tenant_id, subdomain, plan_id,
                 None if status == DomainStatus.VERIFIED else lost_at)


def load(session: Session) -> Routes:
    """Every served domain, in one query (unconfined: all tenants)."""
    routes = Routes()
    for row in session.execute(_served_rows()):
        route = _route(row)
        routes.by_name[route.name] = route
        if row.is_primary:
            routes.primary_by_subdomain[route.subdomain] = route.name
    return routes


def find(session: Session, name: str) -> Route | None:
    """One name, from the database (when Redis is down, and for the TLS ask endpoint)."""
    rows = session.execute(_served_rows().where(CustomDomain.name == name)).all()
    return _route(rows[-1]) if rows else None


def find_primary(session: Session, subdomain: str) -> Route | None:
    """The tenant's main address among its served domains, from the database."""
    rows = session.execute(_served_rows().where(Tenant.subdomain == subdomain,
                                                CustomDomain.is_primary.is_(True))).all()
    return _route(rows[-1]) if rows else None


class RoutingCache:
    """The process's map, with the Redis version it was loaded at."""

    def __init__(self, check_every: float = CHECK_EVERY, max_age: float = MAX_AGE,
                 clock: Callable[[], float] = time.monotonic):
        self.check_every, self.max_age, self.clock = check_every, max_age, clock
        self._lock = threading.Lock()
        self._generation = 0  # counts ``forget``: a load that began before one is not kept
        self.forget()

    def forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._routes: Routes | None = None
            self._version: bytes | None = None
            self._loaded_at = self._checked_at = float("-inf")

    def routes(self, redis: Redis, loader: Callable[[], Routes]) -> Routes | None:
        """The current map, loaded with ``loader`` when it is missing or out of date; None
        when Redis does not answer (the caller then asks the database for its one name)."""
        now = self.clock()
        routes = self._routes
        if routes is not None and now - self._checked_at < self.check_every:
            return routes
        try:
            version = redis.get(VERSION_KEY)
        except RedisError as exc:
            log.warning("domain routing: Redis does not answer (%s); looking up in the database",
                        exc)
            self.forget()
            return None
        if routes is None or version != self._version or now - self._loaded_at >= self.max_age:
            generation = self._generation
            routes = loader()  # read after the version: a bump during the load is seen next time
            with self._lock:
                if generation != self._generation:
                    return routes  # forgotten meanwhile: good for this request, not kept
                self._routes, self._version, self._loaded_at = routes, version, now
        self._checked_at = now
        return routes


CACHE = RoutingCache()


def invalidate(redis: Redis) -> None:
    """Call after committing a change to which domains are served or which is primary: this
    process forgets its map now, every other within ``CHECK_EVERY``."""
    CACHE.forget()
    try:
        redis.incr(VERSION_KEY)
    except RedisError as exc:  # the others find out by MAX_AGE, or on Redis's return
        log.warning("domain routing: could not bump %s (%s)", VERSION_KEY, exc)
