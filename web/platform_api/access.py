"""Who calls the platform API, and how often: before any ``/api/platform`` URL (an unknown one
too, so the API's shape is not shown to strangers) the bearer token is checked
(``staff.api_tokens``), then the token's moving minute (the ``limits`` library in Redis, as
``web/api/ratelimit.py`` does for tenants). A view names its audit action and the staff
actions that allow it (``allowed``); the role is asked at every call.

Every refusal is audited (``via: "api"``): no token, a bad, revoked or tenant's key, a
disabled staff member, a role without the action. Failed authentications count against the
caller's address (``FAILURES_PER_MINUTE``), so that a stranger cannot fill the append-only
audit log; past that, and past a token's own limit, a 429 is audited once per window.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import wraps

from flask import current_app, g, jsonify, request
from limits import RateLimitItemPerMinute
from limits.errors import StorageError
from redis.exceptions import RedisError

from db.models import StaffApiToken, StaffUser
from staff import api_tokens, audit
from staff.accounts import may
from tenants.rate_limits import moving_window
from web.api.ratelimit import RateDecision
from web.extensions import csrf, db
from web.platform_api import bp
from worker.services import services

csrf.exempt(bp)  # calls carry a bearer token; a session cookie (staff's or a tenant's) is ignored

PATH = "/api/platform"
REQUESTS_PER_MINUTE = 120  # per token
FAILURES_PER_MINUTE = 30  # failed authentications per client address
LIMIT_PREFIX = "contyzr-platform-api"
# The audit action of each endpoint (filled by ``allowed``); "api_call" for an unknown URL.
ACTIONS: dict[str, str] = {}
UNAUTHENTICATED = {
    "no_token": "Send a staff API token as 'Authorization: Bearer <token>'.",
    api_tokens.MALFORMED: "This is not a staff API token (tenants' API keys do not work here).",
    api_tokens.UNKNOWN: "This staff API token is not valid.",
    api_tokens.REVOKED: "This staff API token was revoked.",
    api_tokens.DISABLED: "The staff account of this token is disabled.",
}


def error(status: int, message: str, field: str | None = None, headers: dict | None = None):
    """The API's one error shape: ``{"error": {"status", "message"[, "field"]}}``."""
    body = {"status": status, "message": message}
    if field:
        body["field"] = field
    return jsonify(error=body), status, headers or {}


def ours() -> bool:
    return request.path == PATH or request.path.startswith(PATH + "/")


def action() -> str:
    return ACTIONS.get(request.endpoint or "", "api_call")


def record(name: str, *, staff: StaffUser | None = None, token: StaffApiToken | None = None,
           tenant_id: int | None = None, reason: str = "", outcome: str = "done", **details):
    """An audit entry of this call (``staff``/``token``: the caller's, when known). Flushes."""
    staff = staff if staff is not None else g.get("platform_staff")
    token = token if token is not None else g.get("platform_token")
    if token is not None:
        details["token_id"] = token.id
    return audit.record(db.session, staff, name, tenant_id=tenant_id, reason=reason,
                        outcome=outcome, via="api", method=request.method, path=request.path,
                        **details)


def _asked_tenant() -> int | None:
    return (request.view_args or {}).get("tenant_id")


def _hit(kind: str, key: str, per_minute: int) -> RateDecision:
    """One request in ``key``'s moving minute. Raises ``RedisError``."""
    limiter, item = moving_window(services().redis, f"{LIMIT_PREFIX}-{kind}"), \
        RateLimitItemPerMinute(per_minute)
    try:
        allowed = limiter.hit(item, key)
        stats = limiter.get_window_stats(item, key)
    except StorageError as exc:
        raise RedisError(str(exc)) from exc
    reset_in = max(1, math.ceil(stats.reset_time - time.time()))
    return RateDecision(allowed, per_minute, stats.remaining, reset_in)


def _first_refusal(key: str, seconds: int) -> bool:
    """True for the first 429 of ``key`` in this window (the one that is audited)."""
    try:
        return bool(services().redis.set(f"{LIMIT_PREFIX}-refused:{key}", 1, nx=True,
                                         ex=max(1, seconds)))
    except RedisError:
        return True


def _unauthenticated(problem: str, found: api_tokens.TokenCheck | None):
    """A call without a working token: 401, audited while the address is under its limit."""
    address = request.remote_addr or "unknown"
    try:
        decision = _hit("failures", address, FAILURES_PER_MINUTE)
    except RedisError:
        decision = None  # no counting without Redis; the refusal itself still holds
    staff, token = (found.staff, found.token) if found is not None else (None, None)
    if decision is not None and not decision.allowed:
        if _first_refusal(f"address:{address}", decision.reset_in):
            record(action(), staff=staff, token=token, tenant_id=_asked_tenant(),
                   outcome="refused", problem="too_many_failures", status=429, address=address)
            db.session.commit()
        return error(429, "Too many calls without a working token from this address. Wait "
                          f"{decision.reset_in} seconds.", headers=decision.headers())
    record(action(), staff=staff, token=token, tenant_id=_asked_tenant(), outcome="refused",
           problem=problem, status=401, address=address)
    db.session.commit()
    return error(401, UNAUTHENTICATED[problem],
                 headers={"WWW-Authenticate": 'Bearer realm="platform"'})


@bp.before_app_request
def authenticate():
    """Every ``/api/platform`` URL: the token, then its rate limit."""
    if not ours():
        return None
    g.platform_staff = g.platform_token = None
    g.platform_rate_headers = {}
    scheme, _space, presented = request.headers.get("Authorization", "").partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        return _unauthenticated("no_token", None)
    found = api_tokens.check(db.session, presented)
    if not found.works:
        return _unauthenticated(found.problem, found)
    try:
        decision = _hit("token", str(found.token.id), REQUESTS_PER_MINUTE)
    except RedisError:
        current_app.logger.exception("platform API rate limit: Redis is unavailable")
        return error(503, "The API is briefly unavailable. Please retry in a few seconds.",
                     headers={"Retry-After": "5"})
    g.platform_rate_headers = decision.headers()
    if not decision.allowed:
        if _first_refusal(f"token:{found.token.id}", decision.reset_in):
            record(action(), staff=found.staff, token=found.token, tenant_id=_asked_tenant(),
                   outcome="refused", problem="rate_limited", status=429)
            db.session.commit()
        return error(429, f"A token may make {REQUESTS_PER_MINUTE} calls per minute. Wait "
                          f"{decision.reset_in} seconds.", headers=g.platform_rate_headers)
    api_tokens.mark_used(found.token)
    db.session.commit()
    g.platform_staff, g.platform_token = found.staff, found.token
    return None


@bp.after_app_request
def rate_headers(response):
    if ours():
        response.headers.extend(g.get("platform_rate_headers", {}))
        response.headers["Cache-Control"] = "no-store"
    return response


def allowed(name: str, *actions: str) -> Callable:
    """The view is audited as ``name`` and open to roles that may any of ``actions``
    (``staff.accounts``); others get a 403, audited."""
    def decorate(view):
        ACTIONS[f"{bp.name}.{view.__name__}"] = name

        @wraps(view)
        def checked(**kwargs):
            staff = g.platform_staff
            if not any(may(staff, needed) for needed in actions):
                record(name, tenant_id=kwargs.get("tenant_id"), outcome="refused",
                       problem="role", status=403, needs=list(actions))
                db.session.commit()
                return error(403, f"The {staff.role} role does not include this (it needs "
                                  f"{' or '.join(actions)}). Nothing was changed.")
            return view(**kwargs)
        return checked
    return decorate
