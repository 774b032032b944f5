from flask import Blueprint

bp = Blueprint("pricing", __name__, template_folder="templates")

from web.pricing import signup, views  # noqa: E402,F401  (routes register on import)
