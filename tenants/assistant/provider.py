"""The answer from the provider, streamed, through the official ``openai`` SDK: its base URL,
key and model from the settings, a connect and an overall timeout, one retry of a transient
failure (the SDK's own: a connection error, 408, 409, 429 or 5xx before the answer starts).
Every failure becomes ``ProviderFailed`` with a ``kind`` the web layer words for the person;
the provider's own text goes only to the log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import openai
from openai import OpenAI

from tenants.assistant.settings import AssistantSettings

MAX_TOKENS = 1200  # an answer's usual limit; AI_TIMEOUT_SECONDS is the deadline for one this long

# kind: what went wrong, as the person is told it (web/tenant_portal/assistant.py words each)
TIMEOUT, BUSY, UNREACHABLE, ERROR, BROKEN, SETUP = (
    "timeout", "busy", "unreachable", "error", "broken", "setup")


class ProviderFailed(Exception):
    def __init__(self, kind: str, reason: str):
        super().__init__(f"{kind}: {reason}")
        self.kind, self.reason = kind, reason[:300]


@dataclass
class Answer:
    """What arrived: the text so far, and the tokens the provider counted (estimated from the
    text when it sends no usage)."""

    text: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finished: bool = False
    cut_off: bool = False  # stopped at the length limit, mid-text


def client(settings: AssistantSettings) -> OpenAI:
    return OpenAI(base_url=settings.base_url, api_key=settings.api_key, max_retries=1,
                  timeout=httpx.Timeout(settings.timeout_seconds, connect=settings.connect_seconds))


def _failure(exc: Exception) -> ProviderFailed:
    match exc:
        case openai.APITimeoutError():
            return ProviderFailed(TIMEOUT, str(exc))
        case openai.RateLimitError():
            return ProviderFailed(BUSY, str(exc))
        case openai.APIConnectionError():
            return ProviderFailed(UNREACHABLE, str(exc))
        case openai.InternalServerError():
            return ProviderFailed(ERROR, str(exc))
        case openai.APIStatusError():  # 400, 401, 403, 404: the settings or the request
            return ProviderFailed(SETUP, f"HTTP {exc.status_code}: {exc}")
    return ProviderFailed(BROKEN, f"{type(exc).__name__}: {exc}")  # a chunk not JSON (ValueError)


def stream(settings: AssistantSettings, messages: list[dict], answer: Answer,
           max_tokens: int = MAX_TOKENS) -> Iterator[str]:
    """The answer's pieces as they arrive (``answer`` filled as they do); ``ProviderFailed``
    when the provider fails, is too slow overall, or the stream breaks off (an answer cut at
    ``max_tokens`` too: half a text, or half a page's texts, is no proposal). A longer answer
    allowed (a whole page translated) has a deadline as much longer."""
    seconds = settings.timeout_seconds * max(1.0, max_tokens / MAX_TOKENS)
    deadline = time.monotonic() + seconds
    try:
        chunks = client(settings).chat.completions.create(
            model=settings.model, messages=messages, stream=True, max_tokens=max_tokens,
            stream_options={"include_usage": True})
        with chunks:
            for chunk in chunks:
                if chunk.usage is not None:
                    answer.prompt_tokens = chunk.usage.prompt_tokens
                    answer.completion_tokens = chunk.usage.completion_tokens
                for choice in chunk.choices:
                    if choice.delta and choice.delta.content:
                        answer.text += choice.delta.content
                        yield choice.delta.content
                    if choice.finish_reason:
                        answer.finished, answer.cut_off = True, choice.finish_reason == "length"
                if time.monotonic() > deadline:
                    raise ProviderFailed(TIMEOUT, f"no whole answer in {seconds:g} s")
    except ProviderFailed:
        raise
    except (openai.OpenAIError, httpx.HTTPError, ValueError) as exc:
        failure = _failure(exc)
        if answer.text and failure.kind == UNREACHABLE:  # the connection dropped mid-answer
            failure = ProviderFailed(BROKEN, failure.reason)
        raise failure from exc
    if not answer.finished:
        raise ProviderFailed(BROKEN, "the stream ended without a finish reason")
    if answer.cut_off:
        raise ProviderFailed(BROKEN, "the answer reached its length limit")
    if not answer.completion_tokens:  # a provider that sends no usage: about 4 characters a token
        answer.prompt_tokens = sum(len(m["content"]) for m in messages) // 4
        answer.completion_tokens = len(answer.text) // 4 + 1
