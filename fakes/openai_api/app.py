"""Flask app factory for the fake OpenAI-compatible API."""

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from .api import api, api_error
from .controls import controls
from .state import OpenAIState


def create_app(state: OpenAIState | None = None) -> Flask:
    """Build the fake; pass ``state`` to share or pre-configure it (API keys, models, pace)."""
    app = Flask(__name__)
    app.extensions["openai_fake"] = state or OpenAIState()
    app.register_blueprint(api)
    app.register_blueprint(controls)

    @app.errorhandler(HTTPException)
    def _json_http_error(error: HTTPException) -> Response:
        if error.code == 404:  # OpenAI's answer to an unknown path
            return api_error(404, f"Invalid URL ({request.method} {request.path})")
        return api_error(error.code or 500, error.description or error.name or "Error")

    return app
