"""Flask app factory for the fake Resend API."""

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from .api import api, api_error
from .controls import controls
from .state import ResendState


def create_app(state: ResendState | None = None) -> Flask:
    """Build the fake; pass ``state`` to share or pre-configure it (e.g. a rate limit)."""
    app = Flask(__name__)
    app.extensions["resend_fake"] = state or ResendState()
    app.register_blueprint(api)
    app.register_blueprint(controls)

    @app.errorhandler(HTTPException)
    def _json_http_error(error: HTTPException) -> Response:
        name = (error.name or "error").lower().replace(" ", "_")
        return api_error(error.code or 500, name, error.description or name)

    return app
