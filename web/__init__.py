"""The Flask application factory."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask
from redis import Redis
from werkzeug.routing import IntegerConverter

from plans.catalog import default_catalog
from web.config import ConfigError, check_required, load_config


def _development_secret(instance: Path) -> str:
    """A per-checkout secret kept under instance/, so development sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class AsciiInteger(IntegerConverter):
    """``<int:...>`` of the digits 0-9 only: Werkzeug's ``\\d`` and Python's ``int`` also take
    other scripts' digits, so ``/pages/١`` would otherwise be page 1."""

    regex = r"[0-9]+"


def create_app(config: dict | None = None) -> Flask:
    settings = load_config()
    settings.update(config or {})
    app = Flask(__name__, instance_path=settings.get("INSTANCE_PATH") or None,
                instance_relative_config=True)
    app.config.update(settings)
    app.url_map.converters["int"] = AsciiInteger
    instance = Path(app.instance_path)
    check_required(app.config)
    production = app.config["APP_ENV"] == "production"

    if not app.config["SECRET_KEY"]:
        if production:
            raise ConfigError("SECRET_KEY is required in production; set it in the environment")
        app.config["SECRET_KEY"] = _development_secret(instance)
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not app.config[name]:
            raise ConfigError(f"{name} is not set; `make run` starts the embedded PostgreSQL and "
                              "Redis and sets it, otherwise set it in the environment")

    app.config.update(
        SESSION_COOKIE_SECURE=production,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=production,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(days=14),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        MEDIA_ROOT=app.config["MEDIA_ROOT"] or str(instance / "media"),
        OUTBOX_DIR=str(instance / "outbox"),
    )

    from billing.stripe_client import make_client
    from db.session import make_engine, make_sessionmaker
    from emails.service import build_mail_service
    from links.urls import Urls
    from tenants.media_storage import storage_from_config
    from web import access_log, errors, filters, i18n, proxy, refusals, request_log, security
    from web.extensions import csrf, db, login_manager
    from worker.queues import Queues
    from worker.services import DatabaseState, Services, install

    redis = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
    engine = make_engine(app.config["DATABASE_URL"])
    install(app, Services(
        catalog=default_catalog(),
        urls=Urls.from_config(app.config),
        database=DatabaseState(engine, make_sessionmaker(engine)),
        redis=redis,
        queues=Queues(redis),
        stripe=make_client(app.config["STRIPE_SECRET_KEY"] or "", app.config["STRIPE_API_BASE"]),
        mail=build_mail_service(app.config, redis),
        secret_key=app.config["SECRET_KEY"],
        media=storage_from_config(app.config),
    ))

    request_log.init_app(app)  # first: the request id and the clock start before any refusal
    security.init_app(app)  # before CSRFProtect: malformed bodies are refused first
    proxy.init_app(app)  # after security: ProxyFix is the outermost WSGI layer (TRUST_PROXY)
    access_log.init_app(app)  # tokens masked in the request log of the development server
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)

    errors.init_app(app)
    refusals.init_app(app)  # every Refused: rolled back, then shown on its form or page
    filters.init_app(app)
    i18n.init_app(app)  # Dutch and English: the language and time zone of each request

    from web import auth, edge, metrics, tenant_sites, webhooks
    from web.admin import bp as admin_bp
    from web.api import bp as api_bp
    from web.health import bp as health_bp
    from web.onboarding import bp as onboarding_bp
    from web.platform_api import bp as platform_api_bp
    from web.pricing import bp as pricing_bp
    from web.tenant_portal import bp as portal_bp

    auth.init_app(app)
    tenant_sites.init_app(app)
    metrics.init_app(app)  # GET /metrics for METRICS_ALLOW_FROM
    for blueprint in (health_bp, pricing_bp, onboarding_bp, portal_bp, webhooks.bp, auth.bp,
                      api_bp, platform_api_bp, edge.bp, admin_bp):
        app.register_blueprint(blueprint)

    from monitoring import sentry

    sentry.init(app.config)  # errors of the web app and of the workers, when SENTRY_DSN is set

    from web.cli import register_commands

    register_commands(app)
    return app
