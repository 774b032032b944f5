"""Logs without secrets: the tokens of sign-in, password-reset and invitation links, and the
signup id that opens a signup's onboarding page, are masked (first four characters, then "…")
wherever a request's path or query is logged (``monitoring.masking``).

- ``make run`` (Flask's development server) and the test servers log requests through the
  ``werkzeug`` logger; ``init_app`` puts ``MaskTokens`` on it and on the app's own logger.
- gunicorn logs through ``GunicornLogger``, named in ``gunicorn.conf.py`` (which gunicorn reads
  from the working directory): its access log (request line, path, query, Referer and every
  other atom) and its error log are masked.
"""

from __future__ import annotations

import logging

from flask import Flask
from gunicorn.glogging import Logger

from monitoring.masking import SHOWN, TOKEN_PARAMETERS, TOKEN_PATHS, mask

__all__ = ["SHOWN", "TOKEN_PARAMETERS", "TOKEN_PATHS", "GunicornLogger", "MaskTokens", "init_app",
           "install", "mask"]


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
