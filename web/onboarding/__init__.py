from flask import Blueprint

bp = Blueprint("onboarding", __name__, template_folder="templates")

from web.onboarding import views  # noqa: E402,F401
