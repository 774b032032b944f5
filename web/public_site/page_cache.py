"""The public sites' page cache: a rendered page kept in Redis, and headers for a CDN in front.

The key is the tenant, its ``site_version`` (moved by database triggers in the transaction of
every change a visitor can see, migration 0023), the site's access (``plans.access``), the
site's host as ``web.hosts`` decided it, the page's language, its normalised path (empty
segments dropped) and what the catalog's entry for its plan allows. No page of a site reads a
query parameter (``QUERY_PARAMETERS``: none), so the query string is left out of the key: junk
parameters are served from the same entry and never make new ones. The parts are hashed: no
raw input is in a key. A committed change moves the version, so the next request misses.

What is shared: a GET or HEAD without the session cookie whose rendering wrote nothing to the
session (the shop's CSRF token, a cart) and embedded no per-visitor part (the contact form's
signed one-use token marks its page with ``per_visitor``). Those answers (200, and the
suspended 503 and closed 410 status pages, the latter keyed without the path) are stored; an
anonymous 404 gets the public headers but is not stored (any path can ask for one). Everything
else is rendered per request with ``Cache-Control: private, no-cache``.

Redis down (``RedisError``) means rendered, uncached pages, never an error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Response, current_app, g, make_response, request, session
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Post, Tenant
from worker.services import services

PREFIX = "site-page:1:"  # bump when the entry's format or the templates' meaning changes
QUERY_PARAMETERS: tuple[str, ...] = ()  # the query parameters a site page reads: none (yet)
STORED_STATUSES = (200, 410, 503)
PUBLIC_STATUSES = (*STORED_STATUSES, 404)
MAX_AGE = 900  # seconds an entry lives in Redis (a deploy's templates show within it)
# Browsers ask again every time (a 304 when nothing changed), so whoever just edited sees the
# change at once; a CDN in front may keep a copy for a minute and serve it stale while it asks.
PUBLIC = "public, max-age=0, s-maxage=60, stale-while-revalidate=300"
PRIVATE = "private, no-cache"
KEPT_HEADERS = ("Content-Type", "Retry-After", "Content-Language")


def per_visitor() -> None:
    """This response embeds something for this visitor only: never share it."""
    g.page_per_visitor = True


def _anonymous() -> bool:
    return request.method in ("GET", "HEAD") \
        and current_app.config["SESSION_COOKIE_NAME"] not in request.cookies


def key(tenant: Tenant, access: str, host: str, language: str, path: str | None) -> str:
    """The entry of this page (``path`` None: a status page, the same on every path) as a
    site with this access (``plans.access.Access``, decided per request) shows it."""
    normalised = None if path is None else "/" + "/".join(s for s in path.split("/") if s)
    # What the plan allows decides what is shown (the shop, limits): the catalog's entry for it
    # is part of the key, so a changed catalog (a deploy) shows at once.
    plan = services().catalog.plan(tenant.plan_id)
    allows = None if plan is None else [sorted(plan.features), sorted(plan.limits.items())]
    parts = json.dumps([access, host.lower(), language, normalised, allows])
    return f"{PREFIX}{tenant.id}:{tenant.site_version}:{hashlib.sha256(parts.encode()).hexdigest()}"


def _etag(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def _public(response: Response, etag: str) -> Response:
    response.set_etag(etag)
    response.headers["Cache-Control"] = PUBLIC
    response.vary.add("Cookie")  # the shared copy is the one without a session
    return response


def _answer(status: int, headers: dict, body: bytes, etag: str) -> Response:
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
        return _public(response, etag)
    response = Response(body, status=status, headers=headers)
    return _public(response, etag)


def _read(redis, entry_key: str) -> Response | None:
    try:
        stored = redis.get(entry_key)
    except RedisError:
        g.page_cache_down = True
        current_app.logger.warning("page cache: Redis unavailable, rendering uncached")
        return None
    if stored is None:
        return None
    head, _, body = stored.partition(b"\n")
    meta = json.loads(head)
    if meta.get("until") is not None and datetime.now(UTC).timestamp() >= meta["until"]:
        return None  # a scheduled post is live now (by the app's clock, not Redis's)
    return _answer(meta["status"], meta["headers"], body, meta["etag"])


def _next_post(session: Session, tenant: Tenant, status: int) -> datetime | None:
    """When the tenant's next scheduled post goes live (nothing is written then): the entry
    ends at that moment."""
    if status != 200:
        return None
    return session.scalar(select(func.min(Post.published_at)).where(
        Post.tenant_id == tenant.id, Post.published_at > datetime.now(UTC)))


def _write(redis, entry_key: str, response: Response, etag: str, until: datetime | None) -> None:
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    head = json.dumps({"status": response.status_code, "headers": headers, "etag": etag,
                       "until": None if until is None else until.timestamp()})
    seconds = MAX_AGE if until is None else \
        max(1, min(MAX_AGE, int((until - datetime.now(UTC)).total_seconds()) + 1))
    try:
        redis.set(entry_key, head.encode() + b"\n" + response.get_data(), ex=seconds)
    except RedisError:
        current_app.logger.warning("page cache: Redis unavailable, page not stored")


def serve(session: Session, tenant: Tenant, entry_key: str | None, render: Callable) -> Response:
    """The page from the cache, else ``render()``-ed (and stored when it may be shared);
    ``entry_key`` None: not a page (a file, the stylesheet), rendered as it is."""
    if entry_key is None:
        return make_response(render())
    if not _anonymous():
        response = make_response(render())
        if response.mimetype == "text/html" and response.status_code < 300:
            response.headers["Cache-Control"] = PRIVATE
        return response
    redis = services().redis
    cached = _read(redis, entry_key)
    if cached is not None:
        return cached
    response = make_response(render())
    shared = response.status_code in PUBLIC_STATUSES and response.mimetype == "text/html" \
        and not session_written() and not g.get("page_per_visitor")
    if not shared:
        if response.mimetype == "text/html" and response.status_code < 300:
            response.headers["Cache-Control"] = PRIVATE
        return response
    body = response.get_data()
    etag = _etag(body)
    if response.status_code in STORED_STATUSES and not g.get("page_cache_down"):
        _write(redis, entry_key, response, etag,
               _next_post(session, tenant, response.status_code))
    if request.if_none_match.contains_weak(etag):
        return _public(Response(status=304), etag)
    return _public(response, etag)


def session_written() -> bool:
    """Whether rendering put something in the visitor's session (a CSRF token, a cart)."""
    return bool(getattr(session, "modified", False))
