from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder="templates")

# Routes register on import.
from web.tenant_portal import (  # noqa: E402,F401
    api_keys,
    assistant,
    billing,
    closing,
    context,
    domain,
    inbox,
    languages,
    media,
    orders,
    pages,
    plan,
    posts,
    products,
    profile,
    revisions,
    settings,
    shop,
    team,
    theme,
    translations,
    views,
)
