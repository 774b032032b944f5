"""One structured line per request (``monitoring.logs``), its request id, and its metrics.

The id: the caller's ``X-Request-ID`` when it is a short safe token, else a fresh one; it is
returned in ``X-Request-ID``, set for the request's lines and Sentry events, and travels into
the jobs the request enqueues. The line: method, path (tokens masked), endpoint, status,
duration_ms and the tenant the request served, if any; never headers, cookies or bodies.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request

from monitoring import logs, metrics
from monitoring.masking import mask

HEADER = "X-Request-ID"
log = logging.getLogger(logs.REQUEST_LOGGER)


def endpoint_group() -> str:
    """The blueprint that answered (``pricing``, ``portal``, ``public_site``...), never the path."""
    if g.get("tenant_id") is not None and request.blueprint is None:
        return "public_site"  # served by web.tenant_sites before any route
    if request.blueprint:
        return request.blueprint
    return "static" if request.endpoint == "static" else "other"


def _tenant_id() -> int | None:
    tenant = g.get("tenant")
    found = getattr(tenant, "id", None) if tenant is not None else g.get("tenant_id")
    return found if isinstance(found, int) else None


def init_app(app: Flask) -> None:
    """Register first: the id and the clock start before any other hook can answer."""
    logs.configure(app.config.get("LOG_FORMAT") or "text", app.config.get("LOG_LEVEL") or "INFO")

    @app.before_request
    def start_request():
        g.request_started = time.perf_counter()
        g.request_id = logs.accepted_request_id(request.headers.get(HEADER))
        g.request_id_token = logs.set_request_id(g.request_id)

    @app.after_request
    def finish_request(response):
        started = g.get("request_started")
        if started is None:
            return response
        seconds = time.perf_counter() - started
        response.headers[HEADER] = g.request_id
        group = endpoint_group()
        metrics.observe_request(group, request.method, response.status_code, seconds)
        if group == "webhooks":
            metrics.WEBHOOK_SECONDS.labels(request.endpoint or "").observe(seconds)
        path = request.path + (f"?{request.query_string.decode('latin-1')}"
                               if request.query_string else "")
        log.info("%s %s %s", request.method, mask(path), response.status_code, extra={"fields": {
            "tenant_id": _tenant_id(), "method": request.method, "path": mask(path),
            "endpoint": request.endpoint, "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1)}})
        return response

    @app.teardown_request
    def forget_request_id(_exc=None):
        token = g.pop("request_id_token", None)
        if token is not None:
            try:
                logs.reset_request_id(token)
            except ValueError:
                logs.set_request_id(None)  # reset from another context: clear it all the same
