"""Validation of ``POST /emails`` bodies, with Resend's error names and messages."""

import re
from typing import Any

MAX_RECIPIENTS = 50

_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
_NAMED_ADDRESS = re.compile(r"[^<>]*<\s*([^<>]+?)\s*>")
_TAG_PART = re.compile(r"[A-Za-z0-9_-]{1,256}")

_ADDRESS_FORMAT = (
    "The email address needs to follow the `email@example.com` "
    "or `Name <email@example.com>` format."
)


def _is_address(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    named = _NAMED_ADDRESS.fullmatch(value.strip())
    return bool(_ADDRESS.fullmatch(named.group(1) if named else value.strip()))


def _missing(fields: str) -> tuple[str, str]:
    return "missing_required_field", f"Missing {fields} field."


def _invalid(message: str) -> tuple[str, str]:
    return "validation_error", message


def validate_email(body: Any) -> tuple[str, str] | None:
    """Return ``(error_name, message)`` for an invalid send request, else ``None``."""
    if not isinstance(body, dict):
        return _invalid("The request body must be a JSON object.")
    for required in ("from", "to", "subject"):
        if not body.get(required):
            return _missing(f"`{required}`")
    if not _is_address(body["from"]):
        return _invalid(f"Invalid `from` field. {_ADDRESS_FORMAT}")
    recipients = body["to"] if isinstance(body["to"], list) else [body["to"]]
    if len(recipients) > MAX_RECIPIENTS:
        return _invalid(f"Too many recipients in `to`. The maximum is {MAX_RECIPIENTS}.")
    if not all(_is_address(recipient) for recipient in recipients):
        return _invalid(f"Invalid `to` field. {_ADDRESS_FORMAT}")
    if not isinstance(body["subject"], str):
        return _invalid("Invalid `subject` field. It must be a string.")
    if not (body.get("html") or body.get("text")):
        return _missing("`html` or `text`")
    headers = body.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(value, str) for value in headers.values()
    ):
        return _invalid("Invalid `headers` field. It must be an object of string values.")
    for tag in body.get("tags", []):
        if not isinstance(tag, dict) or not all(
            isinstance(tag.get(part), str) and _TAG_PART.fullmatch(tag[part])
            for part in ("name", "value")
        ):
            return _invalid(
                "Invalid `tags` field. Tag names and values can only contain "
                "ASCII letters, numbers, underscores, or dashes."
            )
    return None
