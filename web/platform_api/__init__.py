"""The platform API for staff tools under ``/api/platform``: JSON only, authenticated by staff
API tokens (``staff.api_tokens``, made at ``/admin/tokens``) with their staff member's role,
rate limited per token, every call (and every refusal) in the staff audit log."""

from flask import Blueprint

bp = Blueprint("platform_api", __name__, url_prefix="/api/platform")

# Routes and the authentication register on import.
from web.platform_api import access, views  # noqa: E402,F401
