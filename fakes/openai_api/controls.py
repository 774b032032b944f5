"""Test controls under ``/_test``: script replies, set behaviours and pace, inspect, reset."""

from typing import Any

from flask import Blueprint, Response, jsonify, request

from .api import api_error, fake_state
from .state import DEFAULT_DELAY_MS, MODES

controls = Blueprint("controls", __name__, url_prefix="/_test")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bad_request(message: str, param: str | None = None) -> Response:
    return api_error(400, message, param=param)


def _no_content() -> Response:
    return Response(status=204)


@controls.post("/replies")
def queue_replies() -> Response:
    """``{"content": "text"}`` or ``{"content": ["first", "second"]}``: the next answers, in order."""
    content = (request.get_json(silent=True) or {}).get("content")
    contents = [content] if isinstance(content, str) else content
    if not isinstance(contents, list) or not all(isinstance(item, str) for item in contents):
        return _bad_request("`content` must be a string or a list of strings.", "content")
    fake_state().queue_replies(contents)
    return _no_content()


@controls.post("/behaviour")
def set_behaviour() -> Response:
    """``{"mode": "rate_limited", "times": 2}``, ``{"mode": "slow", "delay_ms": 500}``,
    ``{"chunk_delay_ms": 50}`` (the pace of streams; may come with a mode)."""
    payload = request.get_json(silent=True) or {}
    if "chunk_delay_ms" in payload:
        chunk_delay_ms = payload["chunk_delay_ms"]
        if not _is_int(chunk_delay_ms) or chunk_delay_ms < 0:
            return _bad_request("`chunk_delay_ms` must be a non-negative integer.", "chunk_delay_ms")
    mode = payload.get("mode")
    if mode is None and "chunk_delay_ms" not in payload:
        return _bad_request(f"`mode` must be one of {list(MODES)}.", "mode")
    if mode is not None and mode not in MODES:
        return _bad_request(f"`mode` must be one of {list(MODES)}.", "mode")
    times = payload.get("times", 1)
    if not _is_int(times) or times < 0:
        return _bad_request("`times` must be a non-negative integer.", "times")
    delay_ms = payload.get("delay_ms", DEFAULT_DELAY_MS)
    if not _is_int(delay_ms) or delay_ms < 0:
        return _bad_request("`delay_ms` must be a non-negative integer.", "delay_ms")
    state = fake_state()
    if "chunk_delay_ms" in payload:
        state.chunk_delay_ms = payload["chunk_delay_ms"]
    if mode is not None:
        state.behave(mode, times, delay_ms)
    return _no_content()


@controls.get("/requests")
def received_requests() -> Response:
    return jsonify(fake_state().requests)


@controls.post("/reset")
def reset() -> Response:
    fake_state().reset()
    return _no_content()
