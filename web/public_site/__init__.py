"""Tenants' public sites: the customer's own pages, shop and blog on ``<subdomain>.<domain>``.

There are no routes here. The app dispatches requests for tenant hosts to ``render_site``;
the blueprint is registered only for the templates and the ``site-theme.css`` stylesheet.
"""

from flask import Blueprint

bp = Blueprint(
    "public_site", __name__, template_folder="templates", static_folder="static",
    static_url_path="/site-static",
)

from web.public_site.render import render_site  # noqa: E402

__all__ = ["bp", "render_site"]
