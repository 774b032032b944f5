import pytest

from web import create_app
from web.config import ConfigError


def test_factory_applies_overrides_and_security_defaults(app):
    assert app.config["APP_ENV"] == "testing"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert set(app.blueprints) >= {"pricing", "onboarding", "portal", "webhooks", "auth", "health"}


def test_production_cookies_are_secure(make_app):
    app = make_app(APP_ENV="production", STRIPE_SECRET_KEY="sk_live_x")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_production_without_secret_key_stops(base_config):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({**base_config, "APP_ENV": "production", "SECRET_KEY": None})


def test_security_headers_on_pages(client):
    response = client.get("/pricing")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers
    secure = client.get("/pricing", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Not Found" in response.data and b"Traceback" not in response.data


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL"])
def test_development_without_a_service_url_stops_naming_it_and_starts_nothing(
        base_config, monkeypatch, missing):
    from devstack.postgres import EmbeddedPostgres
    from devstack.redis import EmbeddedRedis

    def refuse(_self):
        raise AssertionError("create_app started a server")

    monkeypatch.setattr(EmbeddedPostgres, "start", refuse)
    monkeypatch.setattr(EmbeddedRedis, "start", refuse)
    with pytest.raises(ConfigError, match=f"{missing} is not set.*make run"):
        create_app({**base_config, "APP_ENV": "development", missing: None})


def test_the_services_are_one_object_reached_from_the_app(app):
    from worker.services import services

    found = services(app)
    with app.app_context():
        assert services() is found
    assert found.urls.password_reset("t0k") == "http://localhost/password/reset/t0k"
    assert found.urls.invite("t0k") == "http://localhost/invites/t0k"
    assert found.queues.connection is found.redis
