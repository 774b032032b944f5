"""Logs without secrets: the tokens of sign-in, password-reset and invitation links, and the
signup id that opens a signup's onboarding page, are masked (first four characters, then "…")
wherever a request's path or query is logged.

- ``make run`` (Flask's development server) and the test servers log requests through the
  ``werkzeug`` logger; ``init_app`` puts ``MaskTokens`` on it and on the app's own logger.
- gunicorn logs through ``GunicornLogger``, named in ``gunicorn.conf.py`` (which gunicorn reads
  from the working directory): its access log (request line, path, query, Referer and every
  other atom) and its error log are masked.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

from flask import Flask
from gunicorn.glogging import Logger

# Routes whose next path segment opens something: a token, or the signup id of an onboarding
# page (a test walks the URL map to keep this list complete).
TOKEN_PATHS = ("/onboarding/", "/signin/", "/password/reset/", "/invites/",
               "/admin/provisioning/",  # a signup id names a resumable signup
               "/admin/invite/")
# Query parameters that do the same (``resume`` names the signup of a cancelled Checkout).
# Stripe's ``session_id`` is no secret without our Stripe key, and stays.
TOKEN_PARAMETERS = ("resume", "token")
SHOWN = 4

_PATH = re.compile("(?P<before>" + "|".join(map(re.escape, TOKEN_PATHS)) + r")(?P<token>[^/?#&\s\"']+)")
_QUERY = re.compile(r"(?P<before>[?&;](?:" + "|".join(TOKEN_PARAMETERS) + r")=)(?P<token>[^&;#\s\"']+)",
                    re.IGNORECASE)


def _hide(match: re.Match) -> str:
    return match["before"] + match["token"][:SHOWN] + "…"


def _mask_plain(text: str) -> str:
    return _QUERY.sub(_hide, _PATH.sub(_hide, text))


def mask(text: str) -> str:
    """``'GET /signin/AbCdEfGh… HTTP/1.1'``: every token of ``text`` cut to its first characters.
    A token hidden behind percent-encoding (``/sign%69n/...``, which routes the same) is found
    in the decoded text, and the decoded text is logged."""
    masked = _mask_plain(text)
    decoded = unquote(masked)
    if decoded != masked:
        decoded_masked = _mask_plain(decoded)
        if decoded_masked != decoded:
            return decoded_masked
    return masked


class MaskTokens(logging.Filter):
    """Masks the tokens in a record's message and arguments before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True


def install(logger: logging.Logger) -> None:
    if not any(isinstance(existing, MaskTokens) for existing in logger.filters):
        logger.addFilter(MaskTokens())


def init_app(app: Flask) -> None:
    install(logging.getLogger("werkzeug"))  # the request log of the development server
    install(app.logger)  # error reports name the path that failed


class GunicornLogger(Logger):
    """gunicorn's logger with the tokens masked in the access and the error log."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        install(self.error_log)  # "Error handling request /signin/..."

    def atoms(self, resp, req, environ, request_time) -> dict:
        return {name: mask(value) if isinstance(value, str) else value
                for name, value in super().atoms(resp, req, environ, request_time).items()}
