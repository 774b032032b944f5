"""GET /api/v1/pages, /api/v1/products and /api/v1/submissions (the contact form's messages)
of the key's tenant, rate limited per plan.

The API only reads. Each page and product says whether it is beyond the plan's limit
(``over_plan_limit``: kept after a downgrade, read-only and not on the public site).

Pages and products come in the language asked for with ``?lang=`` (one the site serves:
tenants/site_languages.py), else in the site's default language; an unknown code is never an
error. Each item says its ``language``, whether a text it needs is shown in the default
language instead (``fallback``) and which texts are (``missing``); the answer's ``language``
is the one served and ``languages`` the ones on offer."""

from __future__ import annotations

from flask import g, jsonify, request
from redis.exceptions import RedisError

from db.base import utcnow
from db.models import ContactSubmission, Page, Product, Tenant
from plans.access import access_for
from plans.entitlements import may_use, over_limit_ids, plan_of
from tenants import api_keys, contact, site_languages
from tenants.scope import get_scoped, scoped, use_tenant
from tenants.translations import localised
from web.api import bp
from web.api.ratelimit import hit
from web.extensions import csrf, db
from worker.services import services

csrf.exempt(bp)  # API calls carry a bearer key, not a session cookie


def _error(status: int, message: str, headers: dict | None = None):
    return jsonify(error={"status": status, "message": message}), status, headers or {}


@bp.before_request
def authenticate():
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return _error(401, "Send your API key as 'Authorization: Bearer <key>'.")
    key = api_keys.authenticate(db.session, header.removeprefix("Bearer ").strip())
    if key is None:
        return _error(401, "This API key is not valid or was revoked.")
    tenant = db.session.get(Tenant, key.tenant_id)
    if not access_for(tenant).site_is_public:
        return _error(403, "This account is suspended or closed; its API keys do not work "
                           "until billing is settled.")
    limit = plan_of(services().catalog, tenant).limit("api_rpm")
    try:
        decision = hit(services().redis, tenant.id, limit)
    except RedisError:
        return _error(503, "The API is briefly unavailable. Please retry in a few seconds.",
                      {"Retry-After": "5"})
    g.rate_headers = decision.headers()
    if not decision.allowed:
        return _error(429, f"Your plan allows {limit} API requests per minute.", g.rate_headers)
    key.last_used_at = utcnow()
    db.session.commit()
    g.tenant = tenant
    use_tenant(db.session, tenant.id)
    return None


@bp.after_request
def rate_headers(response):
    response.headers.extend(g.get("rate_headers", {}))
    return response


def _over_limit(name: str) -> set[int]:
    return over_limit_ids(db.session, services().catalog, g.tenant, name)


def _language() -> str:
    """The language asked for with ``?lang=`` if the site serves it, else its default."""
    return site_languages.resolve(services().catalog, g.tenant, request.args.get("lang"))


def _in_language(rows: list) -> list:
    return localised(db.session, rows, _language(), g.tenant.language)


def _languages(payload: dict) -> dict:
    return {**payload, "language": _language(),
            "languages": site_languages.offered(services().catalog, g.tenant)}


def _translation(item) -> dict:
    return {"language": item.language, "fallback": item.fallback, "missing": list(item.missing)}


def _page(page, over_limit: set[int]) -> dict:
    return {"id": page.id, "slug": page.slug, "title": page.title, "published": page.published,
            "position": page.position, "blocks": page.blocks,
            "updated_at": page.updated_at.isoformat(), "over_plan_limit": page.id in over_limit,
            **_translation(page)}


def _product(product, over_limit: set[int]) -> dict:
    return {"id": product.id, "slug": product.slug, "name": product.name,
            "description": product.description, "price_cents": product.price_cents,
            "currency": product.currency, "stock": product.stock, "active": product.active,
            "images": product.images, "over_plan_limit": product.id in over_limit,
            **_translation(product)}


@bp.get("/pages")
def pages():
    rows = db.session.scalars(scoped(Page, g.tenant.id).order_by(Page.position, Page.id)).all()
    over_limit = _over_limit("pages")
    return jsonify(**_languages({"data": [_page(p, over_limit) for p in _in_language(rows)]}))


@bp.get("/pages/<page_id>")
def page(page_id):
    row = get_scoped(db.session, Page, g.tenant.id, page_id)
    if row is None:
        return _error(404, "No such page.")
    return jsonify(**_languages({"data": _page(_in_language([row])[0], _over_limit("pages"))}))


def _webshop_refusal():
    if not may_use(services().catalog, g.tenant, "webshop"):
        return _error(403, "The webshop is not part of your plan.")
    return None


@bp.get("/products")
def products():
    refused = _webshop_refusal()
    if refused:
        return refused
    rows = db.session.scalars(scoped(Product, g.tenant.id).order_by(Product.id)).all()
    over_limit = _over_limit("products")
    return jsonify(**_languages({"data": [_product(p, over_limit)
                                          for p in _in_language(rows)]}))


@bp.get("/products/<product_id>")
def product(product_id):
    refused = _webshop_refusal()
    if refused:
        return refused
    row = get_scoped(db.session, Product, g.tenant.id, product_id)
    if row is None:
        return _error(404, "No such product.")
    return jsonify(**_languages({"data": _product(_in_language([row])[0],
                                                  _over_limit("products"))}))


def _submission(row: ContactSubmission) -> dict:
    return {"id": row.id, "name": row.name, "email": row.email, "message": row.message,
            "page_slug": row.page_slug, "created_at": row.created_at.isoformat(),
            "handled_at": row.handled_at.isoformat() if row.handled_at else None}


@bp.get("/submissions")
def submissions():
    """The messages sent through the site's contact form, newest first."""
    return jsonify(data=[_submission(row) for row in contact.inbox(db.session, g.tenant.id)])
