"""Error pages: every error is a clear page (or JSON for API clients), never a traceback."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask.globals import request_ctx
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from db.messages import N_, Message


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/webhooks/", "/healthz"))


def render_error(status: int, title: str, message: str):
    if wants_json():
        return jsonify(error={"status": status, "message": message}), status
    if request_ctx.url_adapter is None:
        # The Host could not even be bound for routing ('a..b'): a page with links would fail.
        return f"{title}: {message}\n", status, {"Content-Type": "text/plain; charset=utf-8"}
    return render_template("error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(
            400, N_("Form expired"), N_("This form has expired or was not sent by this site. "
                                        "Go back, reload the page and try again.")
        )

    @app.errorhandler(413)
    def too_large(exc):
        limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return render_error(413, N_("Too large"), Message(N_(
            "This request is larger than %(limit)s MB. Files can be at most 10 MB each."),
            limit=limit))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return render_error(exc.code or 500, exc.name, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        error = InternalServerError()
        return render_error(500, error.name,
                            N_("Something went wrong on our side. Please try again."))
