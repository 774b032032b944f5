"""Session cookies: their flags as the browser receives them, renewal at login (fixation), and
cookies that stop working: after logout, after a password reset, after their lifetime, or when
signed with another key.

Other browsers (thief, attacker) talk to ``second_process``: see its fixture for why a second
client of ``app`` would see the first client's signed-in user whatever cookie it sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from freezegun import freeze_time
from sqlalchemy import select

from db.models import Page, User
from tenants import signin
from web.auth.views import RESET_TTL

import factories
from security_support import FORM_EXPIRED, set_cookies, title
from support import csrf_token

SESSION_KEYS = {"_user_id", "_fresh", "_id", "csrf_token", "_flashes"}


def login(client, email, password=factories.PASSWORD):
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client, "/login")})


def test_cookies_behind_https_are_secure_httponly_lax_and_host_only(app, db_session, https_client):
    tenant = factories.tenant(app, db_session)
    responses = {"GET /login": https_client.get("/login"),
                 "POST /login": login(https_client, tenant.owner_email)}
    responses["POST /logout"] = https_client.post(
        "/logout", data={"csrf_token": csrf_token(https_client, "/portal/")})
    assert "session" in set_cookies(responses["POST /login"])
    for label, response in responses.items():
        cookies = set_cookies(response)
        assert cookies, f"{label} set no cookie"
        for name, attributes in cookies.items():
            assert attributes.get("secure") is True, f"{label}: {name} is not Secure"
            assert attributes.get("httponly") is True, f"{label}: {name} is not HttpOnly"
            assert attributes.get("samesite") == "Lax", f"{label}: {name} is not SameSite=Lax"
            # Host-only: the tenants' sites on subdomains must never receive the portal session.
            assert "domain" not in attributes, f"{label}: {name} has {attributes['domain']!r}"


def test_production_cookies_are_secure_even_on_a_plain_http_request(production_app):
    with production_app.test_client() as plain:
        cookies = set_cookies(plain.get("/login"))
    assert cookies["session"].get("secure") is True


def test_a_planted_pre_login_session_gives_the_attacker_nothing(app, client, db_session,
                                                               second_process):
    """Session fixation: the attacker fetches the login page, plants that cookie and its CSRF
    token in the victim's browser, and waits for the victim to sign in."""
    tenant = factories.tenant(app, db_session)
    planted_token = csrf_token(client, "/login")
    planted_cookie = client.get_cookie("session").value
    assert login(client, tenant.owner_email).status_code == 302
    assert client.get_cookie("session").value != planted_cookie
    attacker = second_process.test_client()
    attacker.set_cookie("session", planted_cookie)
    assert attacker.get("/portal/").status_code == 302
    # The CSRF token the attacker knew is not valid in the victim's new session.
    forged = client.post("/portal/pages/new", data={"title": "Planted", "slug": "planted",
                                                    "csrf_token": planted_token})
    assert forged.status_code == 400 and FORM_EXPIRED in title(forged)
    assert db_session.scalar(select(Page).where(Page.title == "Planted")) is None


def test_a_cookie_copied_before_logout_can_neither_read_nor_write(db_session, owner_client,
                                                                  second_process):
    token = csrf_token(owner_client, "/portal/pages/new")
    copied = owner_client.get_cookie("session").value
    thief = second_process.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/portal/").status_code == 200  # the control: the copy works until logout
    assert owner_client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert thief.get("/portal/").status_code == 302
    written = thief.post("/portal/pages/new", data={"title": "Stolen", "slug": "stolen",
                                                    "csrf_token": token})
    assert written.status_code == 302 and "/login" in written.headers["Location"]
    assert db_session.scalar(select(Page).where(Page.title == "Stolen")) is None


def test_a_password_reset_ends_every_session_of_the_account(db_session, owner_client,
                                                            second_process):
    owner = db_session.scalar(select(User).where(User.email == owner_client.tenant.owner_email))
    link = f"/password/reset/{signin.issue(db_session, owner, 'reset', RESET_TTL)}"
    db_session.commit()
    thief = second_process.test_client()
    thief.set_cookie("session", owner_client.get_cookie("session").value)
    assert thief.get("/portal/").status_code == 200
    owner_elsewhere = second_process.test_client()
    done = owner_elsewhere.post(link, data={"password": "a fresh passphrase now",
                                            "csrf_token": csrf_token(owner_elsewhere, link)})
    assert done.status_code == 302
    assert thief.get("/portal/").status_code == 302
    assert owner_client.get("/portal/").status_code == 302


def test_a_session_ends_after_its_lifetime_even_when_copied(db_session, owner_client,
                                                            second_process):
    lifetime = second_process.permanent_session_lifetime
    assert lifetime <= timedelta(days=30)
    thief = second_process.test_client()
    thief.set_cookie("session", owner_client.get_cookie("session").value)
    assert thief.get("/portal/").status_code == 200
    with freeze_time(datetime.now(UTC) + lifetime + timedelta(minutes=1)):
        assert thief.get("/portal/").status_code == 302


def test_a_session_signed_with_another_key_is_refused(app, db_session, client, second_process):
    tenant = factories.tenant(app, db_session)
    owner = db_session.scalar(select(User).where(User.email == tenant.owner_email))
    impostor = Flask("impostor")
    impostor.secret_key = "not-the-secret-key-" + "y" * 32
    cookie = app.session_interface.get_signing_serializer(impostor).dumps(
        {"_user_id": f"{owner.id}:{owner.session_version}", "_fresh": True})
    browser = second_process.test_client()
    browser.set_cookie("session", cookie)
    assert browser.get("/portal/").status_code == 302
    genuine = app.session_interface.get_signing_serializer(app).dumps(
        {"_user_id": f"{owner.id}:{owner.session_version}", "_fresh": True})
    browser.set_cookie("session", genuine)
    assert browser.get("/portal/").status_code == 200  # the control: the right key works


def test_the_session_cookie_carries_no_account_data(app, owner_client):
    """Flask's session is a signed, not encrypted, cookie: anyone holding it can read it."""
    cookie = owner_client.get_cookie("session").value
    data = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert set(data) <= SESSION_KEYS, set(data) - SESSION_KEYS
    assert owner_client.tenant.owner_email not in str(data)
    assert factories.PASSWORD not in str(data)
