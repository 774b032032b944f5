from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")

from web.tenant_portal import billing, context, views  # noqa: E402,F401  (routes register on import)
