"""Flask app factory for the fake Cloudflare API."""

from __future__ import annotations

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from .api import CloudflareError, api, error_response
from .controls import controls
from .state import CloudflareState


def create_app(state: CloudflareState | None = None) -> Flask:
    """Build the fake; pass ``state`` to choose its tokens and zones or to share it."""
    app = Flask(__name__)
    app.extensions["cloudflare_fake"] = state or CloudflareState()
    app.register_blueprint(api)
    app.register_blueprint(controls)

    @app.errorhandler(HTTPException)
    def _in_cloudflare_shape(error: HTTPException) -> Response:
        status = error.code or 500
        if status == 404:
            return error_response(CloudflareError(400, (7003, "Could not route to "
                                                        f"{error.description or 'that URI'}"),
                                                  (7000, "No route for that URI")))
        return error_response(CloudflareError(status, (10000 + status, error.name or "error")))

    return app
