"""Errors to Sentry when ``SENTRY_DSN`` is set, from the web app and the rq workers alike
(both build the app, which calls ``init``). Nothing personal or secret is sent: no default
PII, no cookies, headers or bodies, every string masked (``monitoring.masking``); each event
is tagged with the request id of the work it belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.flask import FlaskIntegration
from sentry_sdk.integrations.rq import RqIntegration

from monitoring.logs import current_request_id
from monitoring.masking import mask

DROPPED_REQUEST_PARTS = ("cookies", "headers", "data", "env")
NOTHING_PERSONAL = {
    "user_info": False, "cookies": {"mode": "off"}, "http_headers": {"request": {"mode": "off"}},
    "http_bodies": [], "url_query_params": {"mode": "off"}, "database_query_data": False,
    "queues": False, "stack_frame_variables": False,
}


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def before_send(event: dict, _hint: dict | None = None) -> dict:
    request = event.get("request")
    if isinstance(request, dict):
        for part in DROPPED_REQUEST_PARTS:
            request.pop(part, None)
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return _masked(event)


def init(config: Mapping[str, Any]) -> bool:
    """Start reporting when ``SENTRY_DSN`` is set; False when it is not."""
    dsn = config.get("SENTRY_DSN")
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=config.get("APP_ENV"),
        integrations=[FlaskIntegration(), RqIntegration()],
        # send_default_pii=False, in the form this sentry-sdk asks for (it deprecates the
        # switch): no user, cookies, headers, bodies, query or local variables (a view's
        # ``token`` argument would otherwise travel in its stack frame).
        data_collection=NOTHING_PERSONAL,
        before_send=before_send,
        before_breadcrumb=lambda crumb, _hint: _masked(crumb),
    )
    return True
