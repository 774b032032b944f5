"""The host names the app answers on, read from the configuration at every request.

- The storefront and the portal: the host of ``PUBLIC_URL`` (whatever the port).
- Tenant sites: ``<label>.<PLATFORM_DOMAIN>``, one DNS label (no empty labels, no dots).
- Later, a tenant's own domain once it is verified (see ``custom_domain_site``).

Machine routes (the Stripe webhook and the health probes) answer on any valid host: Stripe
signs its calls, load balancers probe by address, and neither builds a link from the Host.
Any other request for another name gets a 400 with a one-line reason. Absolute URLs are never
built from the Host either: ``web.urls.external_url`` takes them from ``PUBLIC_URL``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import abort, request

from links.urls import Urls
from worker.services import services

LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
HOST = re.compile(r"(?P<name>[a-z0-9.-]{1,254}|\[[0-9a-f:.]{2,45}\])(?::[0-9]{1,5})?")
ANY_HOST_PATHS = ("/healthz", "/livez")
ANY_HOST_PREFIXES = ("/webhooks/",)
ENVIRON_KEY = "contyzr.site"


@dataclass(frozen=True)
class Site:
    """What a request's host names: the storefront (``subdomain`` None) or a tenant's site."""

    subdomain: str | None = None


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
    """A tenant's own domain. ``Tenant.custom_domain`` is what the owner typed, not yet proven
    theirs (nothing checks the DNS records of ``tenants.domains`` yet), so no custom domain is
    served. Once verification exists, look the name up here among verified domains only and
    return that tenant's ``Site``; ``web.tenant_sites`` then serves it like a subdomain."""
    return None


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
    public_url = services().urls.public_url
    abort(400, description=f"This server does not answer for {name}; the storefront is at "
                           f"{public_url}.")
