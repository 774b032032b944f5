"""The Resend endpoints the fake serves: ``POST /emails`` and ``GET /emails/<id>``.

Every request first goes through injected failures, then authentication (any
``Bearer re_...`` key is valid), then the per-key rate limit.
"""

import math
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from .state import IdempotencyConflict, ResendState
from .validation import validate_email

api = Blueprint("api", __name__)

_RATE_LIMIT_MESSAGE = (
    "Too many requests. You can only make {} requests per second. "
    "See rate limit response headers for more information."
)
_INJECTED = {
    422: ("validation_error", "Simulated validation error."),
    429: ("rate_limit_exceeded", _RATE_LIMIT_MESSAGE.format(2)),
    500: ("internal_server_error", "Simulated internal server error."),
}
INJECTABLE_STATUSES = tuple(sorted(_INJECTED))


def api_error(status: int, name: str, message: str, retry_after: float | None = None) -> Response:
    """An error in Resend's shape; ``retry_after`` (seconds) becomes a ``Retry-After`` header."""
    response = jsonify(statusCode=status, name=name, message=message)
    response.status_code = status
    if retry_after is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


def fake_state() -> ResendState:
    return current_app.extensions["resend_fake"]


def _api_key() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@api.before_request
def _fail_authenticate_and_throttle() -> Response | None:
    state = fake_state()
    status = state.injected_failure()
    if status is not None:
        name, message = _INJECTED[status]
        return api_error(status, name, message, retry_after=1 if status == 429 else None)
    api_key = _api_key()
    if not api_key:
        return api_error(401, "missing_api_key", "Missing API key in the authorization header.")
    if not api_key.startswith("re_"):
        return api_error(403, "invalid_api_key", "API key is invalid.")
    wait = state.throttle(api_key)
    if wait is not None:
        message = _RATE_LIMIT_MESSAGE.format(state.rate_limit)
        return api_error(429, "rate_limit_exceeded", message, retry_after=wait)
    return None


@api.post("/emails")
def send_email() -> Response:
    idempotency_key = request.headers.get("Idempotency-Key")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 256:
        return api_error(400, "invalid_idempotency_key", "The key must be between 1-256 chars.")
    body = request.get_json(silent=True)
    problem = validate_email(body)
    if problem:
        return api_error(422, *problem)
    try:
        email_id = fake_state().accept(body, dict(request.headers), idempotency_key)
    except IdempotencyConflict:
        return api_error(
            409,
            "invalid_idempotent_request",
            "Same idempotency key used with a different request payload. "
            "Change your idempotency key or payload.",
        )
    return jsonify(id=email_id)


def _as_list(value: Any) -> list[Any] | None:
    if value is None or isinstance(value, list):
        return value
    return [value]


@api.get("/emails/<email_id>")
def retrieve_email(email_id: str) -> Response:
    record = fake_state().get(email_id)
    if record is None:
        return api_error(404, "not_found", "Email not found.")
    body = record["body"]
    return jsonify(
        {
            "object": "email",
            "id": record["id"],
            "from": body["from"],
            "to": _as_list(body["to"]),
            "cc": _as_list(body.get("cc")),
            "bcc": _as_list(body.get("bcc")),
            "reply_to": _as_list(body.get("reply_to")),
            "subject": body["subject"],
            "html": body.get("html"),
            "text": body.get("text"),
            "tags": body.get("tags", []),
            "created_at": record["accepted_at"],
            "last_event": "delivered",
        }
    )
