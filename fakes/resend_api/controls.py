"""Test controls under ``/_test``: inject failures, set the rate limit, inspect, reset."""

from typing import Any

from flask import Blueprint, Response, jsonify, request

from .api import INJECTABLE_STATUSES, api_error, fake_state

controls = Blueprint("controls", __name__, url_prefix="/_test")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return _is_int(value) or isinstance(value, float)


def _bad_request(message: str) -> Response:
    return api_error(400, "validation_error", message)


def _no_content() -> Response:
    return Response(status=204)


@controls.post("/failures")
def inject_failures() -> Response:
    """``{"status": 500, "count": 2}`` or ``{"status": 500, "rate": 0.2, "seed": 1}``."""
    payload = request.get_json(silent=True) or {}
    status = payload.get("status")
    if status not in INJECTABLE_STATUSES:
        return _bad_request(f"`status` must be one of {list(INJECTABLE_STATUSES)}.")
    if "rate" in payload:
        rate = payload["rate"]
        if not _is_number(rate) or not 0 <= rate <= 1:
            return _bad_request("`rate` must be a number between 0 and 1.")
        fake_state().fail_randomly(status, rate, payload.get("seed"))
    else:
        count = payload.get("count", 1)
        if not _is_int(count) or count < 0:
            return _bad_request("`count` must be a non-negative integer.")
        fake_state().fail_next(status, count)
    return _no_content()


@controls.post("/rate-limit")
def set_rate_limit() -> Response:
    """``{"per_second": 2}`` limits requests per API key; ``{"per_second": null}`` lifts it."""
    per_second = (request.get_json(silent=True) or {}).get("per_second")
    if per_second is not None and (not _is_int(per_second) or per_second < 1):
        return _bad_request("`per_second` must be a positive integer or null.")
    fake_state().rate_limit = per_second
    return _no_content()


@controls.get("/emails")
def accepted_emails() -> Response:
    return jsonify(fake_state().emails)


@controls.post("/reset")
def reset() -> Response:
    fake_state().reset()
    return _no_content()
