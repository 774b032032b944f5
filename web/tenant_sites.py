"""Requests for <subdomain>.<PLATFORM_DOMAIN> are the tenant's public site, not the storefront.

Which host is which is decided once, in ``web.hosts``: the storefront's own host is never a
tenant site, and names that are neither were refused before this runs.
"""

from __future__ import annotations

from flask import Flask, abort, current_app, render_template, request
from sqlalchemy import select

from db.models import Tenant
from plans.access import Access, access_for
from web.extensions import db
from web.hosts import current_site


def init_app(app: Flask) -> None:
    from web.public_site import bp, contact, render_site
    from web.public_site.seo import robots

    app.register_blueprint(bp)

    @app.before_request
    def serve_tenant_site():
        site = current_site()
        name = site.subdomain if site is not None else None
        # The site's own assets, and the storefront's (its suspension and closed pages use them).
        if name is None or request.path.startswith((bp.static_url_path + "/", "/static/")):
            return None
        tenant = db.session.scalar(select(Tenant).where(Tenant.subdomain == name))
        access = access_for(tenant) if tenant is not None else Access.NONE
        if access is Access.NONE:
            domain = current_app.config["PLATFORM_DOMAIN"]
            abort(404, description=f"There is no site at {name}.{domain}.")
        if request.path == "/robots.txt" and not access.site_is_public:
            return robots(None)  # suspended or closed: nothing on it is to be indexed
        if access is Access.READ_ONLY:
            return render_template("site_status/suspended.html"), 503, {"Retry-After": "3600"}
        if access is Access.CLOSED:
            return render_template("site_status/closed.html"), 410
        if request.method == "POST" and request.path == contact.PATH:
            return contact.submit(db.session, tenant)
        if request.method not in ("GET", "HEAD"):
            abort(405)
        return render_site(db.session, tenant, request.path)
