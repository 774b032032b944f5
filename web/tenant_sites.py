"""Requests for <subdomain>.<PLATFORM_DOMAIN>, and for a tenant's served own domains, are the
tenant's public site, not the storefront.

Which host is which is decided once, in ``web.hosts``: the storefront's own host is never a
tenant site, and names that are neither were refused before this runs.

The main address: when a tenant has made one of its served domains primary, every request for
its subdomain or another of its domains, machine paths included (robots.txt, sitemap.xml,
/media/, theme.css), gets a 301 to the same path and query there. While the subdomain is the
main address, the tenant's domains are served as they are (no redirect), so a domain works the
moment it is verified.

The site decides the language of every request for it, never the visitor's browser: the
language of the path's prefix when the site serves it, else its default language
(``web.public_site.languages``); its status pages, 404 and contact form answers included.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask, abort, current_app, g, redirect, render_template, request
from flask_babel import gettext, refresh
from sqlalchemy import select

from db.models import Tenant
from plans.access import Access, access_for
from plans.entitlements import may_use
from web.extensions import db
from web.hosts import EDGE_PATH, address_of, current_site, not_ours, primary_domain
from worker.services import services

# Paths of a site that are files, not pages: never in the page cache (they have their own headers).
NOT_PAGES = ("theme.css", "robots.txt", "sitemap.xml", "media")


def _on_primary(host: str):
    """A 301 to this request's path and query on ``host``."""
    query = request.query_string.decode("latin-1")
    location = address_of(host).rstrip("/") + quote(request.path, safe="/%:@!$&'()*+,;=-._~")
    # A form posted to the old address keeps its method and body (308); pages move for good.
    code = 301 if request.method in ("GET", "HEAD") else 308
    return redirect(location + (f"?{query}" if query else ""), code=code)


def init_app(app: Flask) -> None:
    from web.public_site import bp, cart, contact, page_cache, render_site
    from web.public_site.languages import place
    from web.public_site.seo import robots

    app.register_blueprint(bp)

    @app.before_request
    def serve_tenant_site():
        site = current_site()
        name = site.subdomain if site is not None else None
        # The site's own assets, and the storefront's (its suspension and closed pages use
        # them); the edge's TLS ask answers on every host.
        if name is None or request.path == EDGE_PATH \
                or request.path.startswith((bp.static_url_path + "/", "/static/")):
            return None
        tenant = db.session.scalar(select(Tenant).where(Tenant.subdomain == name))
        if site.domain is not None and (
                tenant is None or not may_use(services().catalog, tenant, "custom_domain")):
            not_ours(site.domain)  # its plan no longer has own domains (the map was older)
        g.tenant_id = tenant.id if tenant is not None else None  # for the request's log line
        access = access_for(tenant) if tenant is not None else Access.NONE
        if access is Access.NONE:
            domain = site.domain or f"{name}.{current_app.config['PLATFORM_DOMAIN']}"
            abort(404, description=gettext("There is no site at %(domain)s.", domain=domain))
        primary = primary_domain(name) if may_use(services().catalog, tenant, "custom_domain") \
            else None
        if primary is not None and primary != site.domain:
            return _on_primary(primary)
        where = place(tenant, request.path)
        g.site_language = where.language  # web.i18n.select_language: this request's language
        refresh()
        if request.path == "/robots.txt" and not access.site_is_public:
            return robots(None)  # suspended or closed: nothing on it is to be indexed
        host = site.domain or name
        if access is Access.READ_ONLY:
            return page_cache.serve(
                db.session, tenant, page_cache.key(tenant, access.name, host, where.language, None),
                lambda: (render_template("site/suspended.html"), 503, {"Retry-After": "3600"}))
        if access is Access.CLOSED:
            return page_cache.serve(
                db.session, tenant, page_cache.key(tenant, access.name, host, where.language, None),
                lambda: (render_template("site/closed.html"), 410))
        if request.method == "POST" and where.path == contact.PATH:
            return contact.submit(db.session, tenant, where.language)
        if where.path in cart.PATHS and may_use(services().catalog, tenant, "webshop"):
            return cart.handle(db.session, tenant, where)
        if request.method not in ("GET", "HEAD"):
            abort(405)
        first = request.path.strip("/").split("/", 1)[0]
        entry = None if first in NOT_PAGES else \
            page_cache.key(tenant, access.name, host, where.language, request.path)
        return page_cache.serve(db.session, tenant, entry,
                                lambda: render_site(db.session, tenant, request.path))
