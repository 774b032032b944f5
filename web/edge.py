"""What the production edge (Caddy, deploy/) asks the app: ``GET /_edge/tls-ask?domain=<name>``
before it gets a certificate on demand for a name it was asked to serve.

- 200: a name of ours: the host of ``PUBLIC_URL``; ``<label>.<PLATFORM_DOMAIN>`` of an existing
  tenant that has a site (any access but none: suspended and closed tenants keep their
  certificates, so their status pages are served over HTTPS; tenants not live yet or deleted
  have none); a served own domain (verified, or lost within its grace) of such a tenant whose
  plan has custom domains.
- 404: any other name. 400: no name, or one that cannot be a host name.
- 403: the caller's address (the connection's, never ``X-Forwarded-For``) is not in
  ``TLS_ASK_FROM`` (addresses or networks). Caddy calls on loopback.

The answer is read from the database, never from the routing map: a certificate is asked for
rarely and then kept, so a fresh answer is worth the query. It answers on any Host.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, request
from sqlalchemy import select

from db.base import utcnow
from db.models import Tenant
from plans.access import Access, access_for
from plans.entitlements import may_use
from tenants import domain_routing
from tenants.domains import normalise
from web.extensions import db
from web.hosts import EDGE_PATH, LABEL, hostname
from worker.services import services

bp = Blueprint("edge", __name__)


def _plain(message: str, status: int):
    return f"{message}\n", status, {"Content-Type": "text/plain; charset=utf-8",
                                    "Cache-Control": "no-store"}


def _caller_allowed() -> bool:
    # Behind TRUST_PROXY, ProxyFix has put X-Forwarded-For into REMOTE_ADDR; the connection's
    # own address is kept under werkzeug.proxy_fix.orig.
    original = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
    try:
        caller = ipaddress.ip_address(original or request.environ.get("REMOTE_ADDR") or "")
    except ValueError:
        return False
    if caller.version == 6 and caller.ipv4_mapped:
        caller = caller.ipv4_mapped
    for entry in current_app.config["TLS_ASK_FROM"]:
        try:
            if caller in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _has_site(tenant: Tenant | None) -> bool:
    return tenant is not None and access_for(tenant) is not Access.NONE


def _is_ours(name: str) -> bool:
    urls = services().urls
    if name == urlsplit(urls.public_url).hostname:
        return True
    suffix = "." + urls.platform_domain.lower()
    if name.endswith(suffix):
        label = name[: -len(suffix)]
        return bool(LABEL.fullmatch(label)) and _has_site(
            db.session.scalar(select(Tenant).where(Tenant.subdomain == label)))
    route = domain_routing.find(db.session, name)
    if route is None:
        return False
    grace = timedelta(hours=current_app.config["DOMAIN_LOST_GRACE_HOURS"])
    tenant = db.session.get(Tenant, route.tenant_id)
    return route.served(utcnow(), grace) and _has_site(tenant) \
        and may_use(services().catalog, tenant, "custom_domain")


@bp.get(EDGE_PATH)
def tls_ask():
    if not _caller_allowed():
        return _plain("Only the platform's edge may ask this.", 403)
    text = request.args.get("domain", "")
    name = hostname(normalise(text)) if text and len(text) <= 300 else None
    if not name or name.split(".")[-1].isdigit() or ":" in name:
        return _plain("Give a host name: ?domain=shop.example.com.", 400)
    if not _is_ours(name):
        return _plain(f"{name} is not served here.", 404)
    return _plain(f"{name} is served here.", 200)
