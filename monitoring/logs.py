"""Structured logs: one line per request (``web.request_log``) and per job
(``worker.job_observer``), JSON when ``LOG_FORMAT=json``, readable text otherwise, at
``LOG_LEVEL``.

Every line has time, level, logger, message and the request id of the work it belongs to:
the id a web request got (``X-Request-ID``) travels in the ``meta`` of the jobs it enqueues
(``worker.queues.TracedQueue``) and is set again while such a job runs, so the jobs that job
enqueues carry it too. Lines hold no secrets: paths are masked (``monitoring.masking``), and
no headers, cookies or bodies are ever logged.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

LOGGER = "contyzr"  # the parent of the structured loggers
REQUEST_LOGGER = "contyzr.request"
JOB_LOGGER = "contyzr.job"
META_KEY = "request_id"  # where a job's request id travels (``job.meta``)
FORMATS = ("text", "json")

_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(offered: str | None) -> str:
    """The caller's ``X-Request-ID`` when it is a short safe token, else a fresh one."""
    if offered and _SAFE_ID.fullmatch(offered):
        return offered
    return new_request_id()


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None):
    """Make ``value`` the current request id; returns the token for ``reset_request_id``."""
    return _request_id.set(value)


def reset_request_id(token) -> None:
    _request_id.reset(token)


def _fields(record: logging.LogRecord) -> dict:
    fields = {
        "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname,
        "logger": record.name,
        "message": record.getMessage(),
        "request_id": getattr(record, "request_id", None) or current_request_id(),
    }
    fields.update(getattr(record, "fields", None) or {})
    if record.exc_info:
        fields["error"] = logging.Formatter().formatException(record.exc_info)
    return {name: value for name, value in fields.items() if value is not None}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-12-03T12:00:00.000+00:00 INFO contyzr.request GET /pricing 200 request_id=...``
    (the fields the message says already are not repeated)."""

    HEAD = ("time", "level", "logger", "message")
    IN_MESSAGE = ("method", "path", "status", "function", "outcome")

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        error = fields.pop("error", None)
        head = " ".join(str(fields.pop(name)) for name in self.HEAD)
        for name in self.IN_MESSAGE:
            fields.pop(name, None)
        tail = " ".join(f"{name}={value}" for name, value in fields.items())
        line = f"{head} {tail}" if tail else head
        return f"{line}\n{error}" if error else line


class StderrHandler(logging.StreamHandler):
    """Writes to the ``sys.stderr`` of the moment (not the one at set-up)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def configure(log_format: str = "text", level: str = "INFO") -> logging.Logger:
    """Send the ``contyzr.*`` lines to stderr in ``log_format`` at ``level`` (idempotent: a
    second call replaces the formatter and level)."""
    logger = logging.getLogger(LOGGER)
    handler = next((found for found in logger.handlers if isinstance(found, StderrHandler)), None)
    if handler is None:
        handler = StderrHandler()
        logger.addHandler(handler)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logger.setLevel(level.upper())
    logger.propagate = False  # one line each, whatever the root logger does
    return logger
