"""Verify Stripe webhook signatures with the ``stripe`` library, plus the checks it omits."""

from __future__ import annotations

import json
import time

import stripe

from billing.event_shape import envelope_problem


class BadWebhook(ValueError):
    """The request is not a genuine, fresh Stripe event; the message says why."""


def _timestamp(header: str) -> int:
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            try:
                return int(value)
            except ValueError:
                break
    raise BadWebhook("malformed Stripe-Signature header")


def verify(payload: bytes, header: str | None, secrets: list[str], tolerance: int = 300,
           now: float | None = None) -> dict:
    """Return the event as a dict, or raise ``BadWebhook``.

    Any of ``secrets`` may have signed it (rotation). The library rejects timestamps older than
    the tolerance but accepts future ones, so those are rejected here.
    """
    if not header:
        raise BadWebhook("missing Stripe-Signature header")
    if not secrets:
        raise BadWebhook("no webhook secret configured")
    timestamp, now = _timestamp(header), now or time.time()
    if timestamp > now + tolerance:
        raise BadWebhook("timestamp is in the future")
    if timestamp < now - tolerance:
        raise BadWebhook(f"timestamp is outside the {tolerance} s tolerance")
    text = payload.decode("utf-8", errors="replace")
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(text, header, secret, tolerance)
            break
        except stripe.SignatureVerificationError as exc:
            reason = str(exc.user_message or exc)
    else:
        raise BadWebhook(reason)
    return parse(text)


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # Python reads NaN and Infinity; PostgreSQL does not


def parse(text: str) -> dict:
    """The signed body as an event whose envelope can be stored, or ``BadWebhook`` saying why."""
    try:
        event = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise BadWebhook("body is nested too deeply") from None
    except ValueError:
        raise BadWebhook("body is not JSON") from None
    problem = envelope_problem(event, text)
    if problem:
        raise BadWebhook(problem)
    return event


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send (used by tests and tools)."""
    import hashlib
    import hmac

    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"
