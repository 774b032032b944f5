"""The agency's back office at ``/admin``: staff sign in with a password and a second factor
(``staff.second_factor``), apart from tenants' users; every action is in the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

# Routes register on import.
from web.admin import (  # noqa: E402,F401
    incidents,
    login,
    session,
    staff_accounts,
    tenant_page,
    tenants,
    tokens,
    view_as,
    views,
)
