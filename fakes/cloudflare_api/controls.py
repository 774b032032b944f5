"""Test controls under ``/_test`` (JSON in, no auth): inject failures and stalls, add a zone,
inspect the records and the requests, reset."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from .api import INJECTABLE_STATUSES, fake_state

controls = Blueprint("cloudflare_controls", __name__, url_prefix="/_test")


def _count(payload: dict[str, Any]) -> int | None:
    count = payload.get("count", 1)
    return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None


def _bad(message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = 400
    return response


@controls.post("/failures")
def inject_failures() -> Response:
    """``{"status": 500, "count": 2}``: the next two API requests answer 500."""
    payload = request.get_json(silent=True) or {}
    if payload.get("status") not in INJECTABLE_STATUSES or _count(payload) is None:
        return _bad(f"`status` must be one of {list(INJECTABLE_STATUSES)}, `count` 0 or more.")
    fake_state().fail_next(payload["status"], _count(payload))
    return Response(status=204)


@controls.post("/stall")
def stall() -> Response:
    """``{"seconds": 2, "count": 1}``: the next API request waits two seconds first."""
    payload = request.get_json(silent=True) or {}
    seconds = payload.get("seconds")
    if not isinstance(seconds, int | float) or not 0 <= seconds <= 60 or _count(payload) is None:
        return _bad("`seconds` must be a number from 0 to 60, `count` 0 or more.")
    fake_state().stall_next(float(seconds), _count(payload))
    return Response(status=204)


@controls.post("/zones")
def add_zone() -> Response:
    """``{"id": "<32 hex>", "name": "example.org"}``."""
    payload = request.get_json(silent=True) or {}
    if not isinstance(payload.get("id"), str) or not isinstance(payload.get("name"), str):
        return _bad("`id` and `name` are required strings.")
    fake_state().add_zone(payload["id"], payload["name"].lower())
    return Response(status=204)


@controls.get("/zones/<zone_id>/records")
def records(zone_id: str) -> Response:
    return jsonify(fake_state().records(zone_id))


@controls.get("/requests")
def requests_seen() -> Response:
    return jsonify([list(seen) for seen in fake_state().requests])


@controls.post("/reset")
def reset() -> Response:
    fake_state().reset()
    return Response(status=204)
