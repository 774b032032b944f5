"""The host names the app answers on, read from the configuration at every request.

- The storefront and the portal: the host of ``PUBLIC_URL`` (whatever the port).
- Tenant sites: ``<label>.<PLATFORM_DOMAIN>``, one DNS label (no empty labels, no dots).
- A tenant's own domain while it is served: verified (or lost, within its grace), of a
  tenant whose plan has custom domains (``custom_domain_site``, from the map in memory of
  ``tenants.domain_routing``: no database query on the hot path).

Machine routes (the Stripe webhook, the health probes, the metrics and the edge's TLS ask) answer on any
valid host: Stripe signs its calls, load balancers probe by address, Caddy asks by loopback,
and none builds a link from the Host.
Any other request for another name gets a 400 with a one-line reason. Absolute URLs are never
built from the Host either: ``web.urls.external_url`` takes them from ``PUBLIC_URL``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import abort, current_app, request

from db.base import utcnow
from links.urls import Urls
from tenants import domain_routing
from tenants.domain_routing import Route
from tenants.scope import unconfined
from web.extensions import db
from worker.services import services

LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
HOST = re.compile(r"(?P<name>[a-z0-9.-]{1,254}|\[[0-9a-f:.]{2,45}\])(?::[0-9]{1,5})?")
EDGE_PATH = "/_edge/tls-ask"
ANY_HOST_PATHS = ("/healthz", "/livez", EDGE_PATH, "/metrics")
ANY_HOST_PREFIXES = ("/webhooks/",)
ENVIRON_KEY = "contyzr.site"


@dataclass(frozen=True)
class Site:
    """What a request's host names: the storefront (``subdomain`` None) or a tenant's site,
    by its platform subdomain (``domain`` None) or by one of its own domains (``domain``)."""

    subdomain: str | None = None
    domain: str | None = None  # the custom domain (IDNA form) the request came by


STOREFRONT = Site()


def hostname(host: str) -> str | None:
    """``'Acme.Example.com:5000'`` -> ``'acme.example.com'``; None when it is not a host."""
    match = HOST.fullmatch(host.strip().lower())
    if match is None:
        return None
    name = match["name"]
    if name.startswith("["):
        return name[1:-1]  # an IPv6 address
    name = name.removesuffix(".")  # 'example.com.' is 'example.com'
    if len(name) > 253 or not all(LABEL.fullmatch(label) for label in name.split(".")):
        return None  # an empty label ('.localhost', 'a..b'), or one that is too long
    return name


def site_for(host: str, urls: Urls) -> Site | None:
    """The site ``host`` names under this configuration, or None when it is none of ours."""
    name = hostname(host)
    if not name:
        return None
    if name == urlsplit(urls.public_url).hostname:
        return STOREFRONT
    suffix = "." + urls.platform_domain.lower()
    if name.endswith(suffix) and LABEL.fullmatch(name[: -len(suffix)]):
        return Site(subdomain=name[: -len(suffix)])
    return custom_domain_site(name)


def custom_domain_site(name: str) -> Site | None:
    """The site of a tenant's own domain while it is served, or None (not ours: 400)."""
    route = domain_route(name)
    return None if route is None else Site(subdomain=route.subdomain, domain=name)


def _grace() -> timedelta:
    return timedelta(hours=current_app.config["DOMAIN_LOST_GRACE_HOURS"])


def _offers_domains(plan_id: str) -> bool:
    plan = services().catalog.plan(plan_id)
    return plan is not None and plan.has("custom_domain")


def _served(route: Route | None) -> Route | None:
    if route is None or not route.served(utcnow(), _grace()) or not _offers_domains(route.plan_id):
        return None
    return route


def _unconfined(lookup):
    """Every tenant's domains, even from a portal request confined to one tenant's rows."""
    with unconfined(db.session):
        return lookup(db.session)


def _routes() -> domain_routing.Routes | None:
    return domain_routing.CACHE.routes(services().redis,
                                       lambda: _unconfined(domain_routing.load))


def domain_route(name: str) -> Route | None:
    """The served domain ``name``: from the process's map, or the database when Redis is down."""
    routes = _routes()
    if routes is None:
        return _served(_unconfined(lambda session: domain_routing.find(session, name)))
    return _served(routes.by_name.get(name))


def primary_domain(subdomain: str) -> str | None:
    """The tenant's main address when it is one of its served domains; None: the subdomain."""
    routes = _routes()
    if routes is None:
        route = _unconfined(lambda session: domain_routing.find_primary(session, subdomain))
    else:
        route = routes.by_name.get(routes.primary_by_subdomain.get(subdomain, ""))
    route = _served(route)
    return route.name if route is not None and route.subdomain == subdomain else None


def address_of(host: str) -> str:
    """``https://host/`` with the scheme (and port) of ``PUBLIC_URL``, as ``Urls.site`` does."""
    return services().urls.address(host)


def site_url(subdomain: str) -> str:
    """The address of a tenant's site for links and canonical URLs: its main address."""
    primary = primary_domain(subdomain)
    return address_of(primary) if primary else services().urls.site(subdomain)


def not_ours(name: str):
    """The 400 for a name this server does not answer for."""
    public_url = services().urls.public_url
    abort(400, description=f"This server does not answer for {name}; the storefront is at "
                           f"{public_url}.")


def current_site() -> Site | None:
    """The site the current request's host names (worked out once per request)."""
    if ENVIRON_KEY not in request.environ:
        request.environ[ENVIRON_KEY] = site_for(request.host, services().urls)
    return request.environ[ENVIRON_KEY]


def check_host() -> None:
    """Refuse requests for names that are not ours (before anything reads the Host)."""
    if current_site() is not None:
        return
    name = hostname(request.host)
    if name and (request.path in ANY_HOST_PATHS or request.path.startswith(ANY_HOST_PREFIXES)):
        return
    if not name:
        abort(400, description="The Host header is missing or is not a valid host name.")
    not_ours(name)
