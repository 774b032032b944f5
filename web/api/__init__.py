"""The tenant's small JSON API under /api/v1, authenticated with API keys."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from web.api import views  # noqa: E402,F401
