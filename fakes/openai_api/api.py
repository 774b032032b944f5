"""The OpenAI endpoints the fake serves: ``POST /v1/chat/completions`` and ``GET /v1/models``.

Every request is logged, then authenticated (``Authorization: Bearer <one of the API keys>``).
A chat completion request then meets the behaviour set for it (errors, delays, broken
streams), then validation, and is answered with the next scripted reply or, by default,
``"Concept: "`` + the last user message (its first 200 characters, whitespace collapsed).
Tokens are counted as whitespace-separated words.
"""

import json
import re
import secrets
import string
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from .state import Behaviour, OpenAIState
from .validation import validate_chat_request

api = Blueprint("api", __name__, url_prefix="/v1")

SYSTEM_FINGERPRINT = "fp_fake0penai"
WORDS_PER_CHUNK = 3
_MODEL_CREATED = 1_700_000_000
_WORD = re.compile(r"\S+")
_OBFUSCATION_ALPHABET = string.ascii_letters + string.digits

_MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank "
    "username) if you're accessing the API from your browser and are prompted for a username. You "
    "can obtain an API key from https://platform.openai.com/account/api-keys."
)
_RATE_LIMITED = (
    "Rate limit reached for {model} in organization org-fake on requests per min (RPM): "
    "Limit 3, Used 3, Requested 1. Please try again in 1s. "
    "Visit https://platform.openai.com/account/rate-limits to learn more."
)
_SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
_BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
    "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
    "valid JSON. If you have trouble figuring out how to fix this, please contact us through our "
    "help center at help.openai.com.)"
)


class _ConnectionCut(ConnectionAbortedError):
    """Raised inside a response body to drop the connection mid-answer (``truncated``).

    The WSGI server treats it as a dropped connection: quietly, without ending the chunked body.
    """


def api_error(
    status: int,
    message: str,
    type_: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An error in OpenAI's shape."""
    response = jsonify(error={"message": message, "type": type_, "param": param, "code": code})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def fake_state() -> OpenAIState:
    return current_app.extensions["openai_fake"]


def _api_key() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _masked(key: str) -> str:
    return key if len(key) <= 8 else f"{key[:3]}{'*' * (len(key) - 7)}{key[-4:]}"


@api.before_request
def _log_and_authenticate() -> Response | None:
    state = fake_state()
    body = request.get_json(silent=True)
    if body is None and request.data:
        body = request.get_data(as_text=True)  # not JSON: logged as sent
    g.openai_request = state.record(request.method, request.path, body, dict(request.headers))
    api_key = _api_key()
    if not api_key:
        return api_error(401, _MISSING_KEY)
    if api_key not in state.api_keys:
        return api_error(
            401,
            f"Incorrect API key provided: {_masked(api_key)}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )
    return None


@api.after_request
def _finish(response: Response) -> Response:
    response.headers.setdefault("x-request-id", f"req_{secrets.token_hex(16)}")
    if "openai_request" in g:
        state = fake_state()
        if response.is_streamed:
            state.set_status(g.openai_request, response.status_code)
        else:
            state.finish(g.openai_request, response.status_code)
    return response


@api.get("/models")
def list_models() -> Response:
    return jsonify(
        object="list",
        data=[
            {"id": model, "object": "model", "created": _MODEL_CREATED, "owned_by": "system"}
            for model in fake_state().models
        ],
    )


@api.get("/models/<path:model>")
def retrieve_model(model: str) -> Response:
    if model not in fake_state().models:
        return api_error(
            404,
            f"The model '{model}' does not exist",
            param="model",
            code="model_not_found",
        )
    return jsonify(id=model, object="model", created=_MODEL_CREATED, owned_by="system")


# Answers


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(part["text"] for part in content)


def _default_answer(messages: list[dict[str, Any]]) -> str:
    users = [_text(message["content"]) for message in messages if message["role"] == "user"]
    prompt = " ".join(users[-1].split())[:200] if users else ""
    return f"Concept: {prompt}"


def _cut(text: str, max_words: int | None) -> tuple[str, str]:
    """The text up to ``max_words`` words, and the finish reason."""
    words = list(_WORD.finditer(text))
    if max_words is None or len(words) <= max_words:
        return text, "stop"
    return text[: words[max_words - 1].end()], "length"


def _count(text: str) -> int:
    return len(_WORD.findall(text))


def _usage(messages: list[dict[str, Any]], answer: str) -> dict[str, Any]:
    prompt = sum(_count(_text(message["content"])) for message in messages)
    completion = _count(answer)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _pieces(text: str) -> list[str]:
    """The text in pieces of a few words each (trailing whitespace kept), which join to it."""
    ends = [match.end() for match in _WORD.finditer(text)][WORDS_PER_CHUNK - 1 :: WORDS_PER_CHUNK]
    starts = [0, *ends]
    pieces = [text[start:end] for start, end in zip(starts, [*ends, len(text)], strict=True)]
    return [piece for piece in pieces if piece]


@api.post("/chat/completions")
def chat_completions() -> Response:
    state = fake_state()
    behaviour = state.next_behaviour()
    body = request.get_json(silent=True)
    model = body.get("model") if isinstance(body, dict) else None
    if behaviour.mode == "rate_limited":
        return api_error(
            429,
            _RATE_LIMITED.format(model=model),
            type_="requests",
            code="rate_limit_exceeded",
            headers={"Retry-After": "1", "x-ratelimit-remaining-requests": "0"},
        )
    if behaviour.mode == "error":
        return api_error(500, _SERVER_ERROR, type_="server_error")
    if behaviour.mode == "hang":
        state.sleep(state.hang_seconds)
    if behaviour.mode == "slow":
        state.sleep(behaviour.delay_ms / 1000)
    if body is None:
        return api_error(400, _BAD_JSON)
    problem = validate_chat_request(body, state.models)
    if problem:
        return api_error(problem.status, problem.message, param=problem.param, code=problem.code)

    reply = state.next_reply()
    answer, finish_reason = _cut(
        _default_answer(body["messages"]) if reply is None else reply,
        body.get("max_completion_tokens") or body.get("max_tokens"),
    )
    head = {
        "id": f"chatcmpl-{secrets.token_urlsafe(22).replace('-', 'x').replace('_', 'y')}",
        "created": state.now(),
        "model": body["model"],
    }
    usage = _usage(body["messages"], answer)
    if body.get("stream"):
        return _stream(state, behaviour, body, head, answer, finish_reason, usage)
    completion = {
        "id": head["id"],
        "object": "chat.completion",
        "created": head["created"],
        "model": head["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer, "refusal": None, "annotations": []},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage,
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }
    payload = json.dumps(completion, indent=2)
    if behaviour.mode == "truncated":
        return Response(_cut_off(payload), mimetype="application/json")
    if behaviour.mode == "malformed":
        return Response(payload[: len(payload) // 2], mimetype="application/json")
    return Response(payload, mimetype="application/json")


def _cut_off(payload: str) -> Iterator[bytes]:
    yield payload[: len(payload) // 2].encode()
    raise _ConnectionCut


def _stream(
    state: OpenAIState,
    behaviour: Behaviour,
    body: dict[str, Any],
    head: dict[str, Any],
    answer: str,
    finish_reason: str,
    usage: dict[str, Any],
) -> Response:
    options = body.get("stream_options") or {}
    include_usage = options.get("include_usage", False)
    obfuscate = options.get("include_obfuscation", True)
    request_index = g.openai_request

    def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": head["id"],
            "object": "chat.completion.chunk",
            "created": head["created"],
            "model": head["model"],
            "service_tier": "default",
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": []
            if delta is None
            else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if include_usage:
            data["usage"] = None
        data.update(extra)
        if obfuscate:
            data["obfuscation"] = "".join(
                secrets.choice(_OBFUSCATION_ALPHABET) for _ in range(secrets.randbelow(12) + 2)
            )
        return data

    pieces = _pieces(answer)
    events: list[dict[str, Any] | str] = [
        chunk({"role": "assistant", "content": "", "refusal": None}),
        *(chunk({"content": piece}) for piece in pieces),
        chunk({}, finish_reason),
    ]
    if include_usage:
        events.append(chunk(None, usage=usage))
    events.append("[DONE]")
    if behaviour.mode == "malformed":
        events.insert(min(2, len(events) - 1), '{"id": "chatcmpl-broken", "choices": [{"delta": ')
    cut_after = 1 + max(1, len(pieces) // 2) if behaviour.mode == "truncated" else None

    def generate() -> Iterator[bytes]:
        pause = state.chunk_delay_ms
        if behaviour.mode == "slow":
            pause = max(pause, behaviour.delay_ms)
        for i, event in enumerate(events):
            if i == cut_after:
                raise _ConnectionCut
            if i:
                state.sleep(pause / 1000)
            data = event if isinstance(event, str) else json.dumps(event, separators=(",", ":"))
            yield f"data: {data}\n\n".encode()
        state.finish(request_index, 200)

    return Response(
        generate(),
        content_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
