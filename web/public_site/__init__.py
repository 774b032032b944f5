"""Tenants' public sites: the customer's own pages, shop and blog on ``<subdomain>.<domain>``.

There are no routes here. The app dispatches requests for tenant hosts to ``render_site``
(and the contact form's ``POST /contact`` to ``contact.submit``);
the blueprint is registered only for the templates and the ``site-theme.css`` stylesheet.
"""

from flask import Blueprint

bp = Blueprint(
    "public_site", __name__, template_folder="templates", static_folder="static",
    static_url_path="/site-static",
)

from web.public_site.contact import form_token  # noqa: E402
from web.public_site.render import render_site  # noqa: E402

bp.add_app_template_global(form_token, "contact_form_token")

__all__ = ["bp", "render_site"]
