"""Entry point for gunicorn: ``gunicorn web.wsgi:app``."""

import sys

from plans.catalog import CatalogError
from web import create_app
from web.config import ConfigError
from web.startup import verify_services

try:
    app = create_app()
    verify_services(app)
except (ConfigError, CatalogError) as exc:
    sys.exit(f"contyzr: {exc}")
