"""The onboarding page: progress for anyone with its address, and one sign-in ("Enter your
portal") only for the browser that sent the signup form, only minutes after the site is
ready, only once, and only while the owner created for that signup has used no other way in."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from db.base import utcnow
from db.models import Signup, Tenant, User
from tenants import accounts, signin
from tenants.onboarding_link import SIGN_IN_INSTEAD, ready_at
from tenants.passwords import hash_password
from tenants.provisioning import run_provisioning
from worker.jobs.provisioning import provisioning_services

from support import csrf_token, http, share_transaction

PASSWORD = "flour and water at dawn"


def sign_up(client, subdomain="bakery-blum", email="ida@blum.example"):
    url = "/signup?plan=starter&interval=month"
    response = client.post(url, data={
        "company": "Bakery Blum", "subdomain": subdomain, "email": email, "password": PASSWORD,
        "template": "corporate", "terms": "y", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


@pytest.fixture
def ready(app, client, db_session, stripe_fake, mails):
    """A signup sent by ``client``, paid and provisioned: its site went live just now."""
    sign_up(client)
    signup = db_session.scalar(select(Signup).where(Signup.subdomain == "bakery-blum"))
    with app.app_context():
        run_provisioning(db_session, provisioning_services(), signup.id)
    db_session.expire_all()
    assert signup.status == "ready"
    signup.page = f"/onboarding/{signup.id}"
    signup.owner = db_session.scalar(select(User).where(User.email == signup.email))
    return signup


@pytest.fixture
def elsewhere(app, make_app, db_session):
    """Another web process of the deployment, for other browsers (a second test client of
    ``app`` would share the ``client`` fixture's pushed context)."""
    other = make_app()
    other.config["TESTING"] = True
    share_transaction(other, app)
    return other


def enter(browser, signup):
    # The session's CSRF token (a refused page has no form to take it from).
    return browser.post(f"{signup.page}/enter", data={"csrf_token": csrf_token(browser, "/login")})


def portal_company(browser) -> str | None:
    page = browser.get("/portal/")
    return page.get_data(as_text=True) if page.status_code == 200 else None


def assert_refused(browser, signup, reason: str):
    page = browser.get(signup.page).get_data(as_text=True)
    assert "Your site is live" in page  # progress is still shown
    assert "Enter your portal" not in page and reason in page
    assert 'href="/login"' in page and 'href="/password/reset"' in page  # the normal ways in
    refused = enter(browser, signup)
    assert refused.status_code == 302 and refused.headers["Location"] == "/login"
    assert portal_company(browser) is None
    assert reason in browser.get("/login").get_data(as_text=True)


def test_checkout_return_addresses_carry_no_secret(client, db_session, stripe_fake):
    response = sign_up(client)
    signup = db_session.scalar(select(Signup))
    session = http.get(f"{stripe_fake.url}/v1/checkout/sessions/{signup.checkout_session_id}",
                       headers={"Authorization": "Bearer sk_test_suite"}).json()
    assert session["success_url"] == (f"http://localhost/onboarding/{signup.id}"
                                      "?session_id={CHECKOUT_SESSION_ID}")
    cancel = urlsplit(session["cancel_url"])
    assert parse_qs(cancel.query) == {"plan": ["starter"], "interval": ["month"],
                                      "resume": [signup.id]}
    # The secret is only in an HttpOnly, SameSite=Lax cookie; only its hash is stored.
    cookie = response.headers["Set-Cookie"]
    secret = re.match(r"contyzr-signup=([^;]+);", cookie).group(1)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert secret not in session["success_url"] + session["cancel_url"]
    assert signup.browser_key_hash and secret not in signup.browser_key_hash


def test_in_production_the_cookie_is_secure_and_host_only(make_app, app, db_session, redis,
                                                         stripe_fake):
    secure = make_app()
    secure.config["SESSION_COOKIE_SECURE"] = True
    share_transaction(secure, app)
    browser = secure.test_client()
    browser.environ_base["wsgi.url_scheme"] = "https"
    url = "/signup?plan=starter&interval=month"
    response = browser.post(url, headers={"Referer": "https://localhost/signup"}, data={
        "company": "Bakery Blum", "subdomain": "bakery-blum", "email": "ida@blum.example",
        "password": PASSWORD, "template": "corporate", "terms": "y",
        "csrf_token": csrf_token(browser, url)})
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-contyzr-signup=") and "Secure" in cookie
    assert "Domain=" not in cookie


def test_the_browser_that_signed_up_enters_its_portal_exactly_once(client, ready):
    page = client.get(ready.page).get_data(as_text=True)
    assert "Your site is live" in page and "Enter your portal" in page
    entered = enter(client, ready)
    assert entered.status_code == 302 and entered.headers["Location"] == "/portal/"
    assert "Bakery Blum" in portal_company(client)
    assert "contyzr-signup=;" in entered.headers["Set-Cookie"]  # the cookie is dropped

    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    again = enter(client, ready)
    assert again.status_code == 302 and again.headers["Location"] == "/login"
    assert portal_company(client) is None


def test_another_browser_with_the_address_sees_progress_but_is_not_signed_in(elsewhere, ready):
    stranger = elsewhere.test_client()
    assert_refused(stranger, ready, "signs in only the browser that sent the signup form")
    # The JSON status is for anyone with the address too, and signs nobody in.
    status = stranger.get(f"{ready.page}/status")
    assert status.status_code == 200 and status.json["ready"] is True
    assert portal_company(stranger) is None


def test_a_copied_cookie_value_from_another_signup_does_not_fit(elsewhere, client, ready):
    other = elsewhere.test_client()
    sign_up(other, subdomain="other-bakery", email="other@blum.example")
    client.set_cookie("contyzr-signup", other.get_cookie("contyzr-signup").value)
    assert_refused(client, ready, "signs in only the browser that sent the signup form")


def test_the_sign_in_ends_minutes_after_the_site_is_ready(client, db_session, ready):
    live_since = ready_at(db_session, ready)
    with freeze_time(live_since + timedelta(minutes=14)):
        assert "Enter your portal" in client.get(ready.page).get_data(as_text=True)
    with freeze_time(live_since + timedelta(minutes=15, seconds=1)):
        assert_refused(client, ready, "only during the first 15 minutes after your site is ready")


def test_the_minutes_are_a_setting(make_app, app, client, db_session, ready):
    strict = make_app(ONBOARDING_SIGNIN_MINUTES=1)
    share_transaction(strict, app)
    browser = strict.test_client()
    browser.set_cookie("contyzr-signup", client.get_cookie("contyzr-signup").value)
    with freeze_time(ready_at(db_session, ready) + timedelta(minutes=2)):
        assert_refused(browser, ready, "only during the first 1 minutes")


def test_a_password_sign_in_ends_it(elsewhere, client, ready):
    browser = elsewhere.test_client()
    signed_in = browser.post("/login", data={"email": ready.email, "password": PASSWORD,
                                             "csrf_token": csrf_token(browser, "/login")})
    assert signed_in.status_code == 302
    assert_refused(client, ready, "Your account has been used since")


def test_the_welcome_link_ends_it(elsewhere, client, ready, mails):
    link = re.search(r"http://localhost(/signin/\S+)", mails.emails[0]["body"]["text"]).group(1)
    browser = elsewhere.test_client()
    used = browser.post(link, data={"csrf_token": csrf_token(browser, link)})
    assert used.status_code == 302 and portal_company(browser) is not None
    assert_refused(client, ready, "Your account has been used since")


def test_a_password_reset_ends_it(elsewhere, client, db_session, ready):
    token = signin.issue(db_session, ready.owner, "reset", timedelta(hours=1))
    db_session.commit()
    browser = elsewhere.test_client()
    url = f"/password/reset/{token}"
    reset = browser.post(url, data={"password": "a brand new long passphrase",
                                    "csrf_token": csrf_token(browser, url)})
    assert reset.status_code in (302, 303)
    assert_refused(client, ready, "Your account has been used since")


def test_a_new_password_set_without_a_link_ends_it(client, db_session, ready):
    accounts.set_password(db_session, ready.owner, "another long passphrase here")
    db_session.commit()
    assert_refused(client, ready, "Your account has been used since")


def test_a_removed_owner_is_not_signed_in_and_nobody_else_is(client, db_session, ready):
    successor = User(tenant_id=ready.owner.tenant_id, email="heir@blum.example", role="owner",
                     password_hash=hash_password("the heir's long passphrase"))
    db_session.add(successor)
    db_session.delete(ready.owner)  # what removing them from the team leaves
    db_session.commit()
    assert_refused(client, ready, "Your account has been used since")


def test_a_removed_owner_invited_back_is_not_signed_in(client, db_session, ready):
    tenant_id = ready.owner.tenant_id
    db_session.delete(ready.owner)
    db_session.flush()
    # Invited back with the same address: a new account with a password of its own.
    db_session.add(User(tenant_id=tenant_id, email=ready.email, role="owner",
                        password_hash=hash_password("back again, long passphrase"),
                        last_login_at=utcnow()))
    db_session.commit()
    assert_refused(client, ready, "Your account has been used since")


def test_an_owner_made_admin_is_not_signed_in_and_the_new_owner_neither(client, db_session,
                                                                         ready):
    db_session.add(User(tenant_id=ready.owner.tenant_id, email="boss@blum.example", role="owner",
                        password_hash=hash_password("the boss's long passphrase")))
    ready.owner.role = "admin"
    db_session.commit()
    assert_refused(client, ready, "Your account has been used since")


def test_a_signup_not_ready_yet_shows_progress_and_signs_nobody_in(client, db_session,
                                                                  stripe_fake):
    sign_up(client)
    signup = db_session.scalar(select(Signup))
    page = client.get(f"/onboarding/{signup.id}").get_data(as_text=True)
    assert "Waiting for the payment confirmation" in page
    # The button waits, hidden, for the page's polling to see the site live.
    assert '<div id="onboarding-enter" hidden>' in page
    waiting = client.post(f"/onboarding/{signup.id}/enter",
                          data={"csrf_token": csrf_token(client, "/login")})
    assert waiting.status_code == 302 and waiting.headers["Location"] == f"/onboarding/{signup.id}"
    assert db_session.scalar(select(Tenant)) is None


def test_unknown_or_malformed_addresses_are_404(client, db_session):
    for reference in ("00000000-0000-4000-8000-000000000000", "not-a-signup", "x" * 5000):
        assert client.get(f"/onboarding/{reference}").status_code == 404
        assert client.get(f"/onboarding/{reference}/status").status_code == 404


def test_the_cancelled_checkout_prefills_only_the_browser_that_signed_up(elsewhere, client,
                                                                       db_session, stripe_fake):
    sign_up(client)
    signup = db_session.scalar(select(Signup))
    back = f"/signup?plan=starter&interval=month&resume={signup.id}"
    mine = client.get(back).get_data(as_text=True)
    assert "Your payment was cancelled" in mine and 'value="ida@blum.example"' in mine
    theirs = elsewhere.test_client().get(back).get_data(as_text=True)
    assert "Your payment was cancelled" not in theirs
    assert "ida@blum.example" not in theirs and "bakery-blum" not in theirs


def test_the_status_tells_the_signing_up_browser_to_enter(client, ready):
    status = client.get(f"{ready.page}/status").json
    assert status["ready"] is True and status["final"] is True
    assert status["may_enter"] is True and status["signin_note"] is None
    assert set(status) == {"stages", "ready", "state", "final", "message", "may_enter",
                           "signin_note"}  # nothing secret: no cookie, token or address of it
    assert client.get_cookie("contyzr-signup").value not in str(status)
    enter(client, ready)
    used = client.get(f"{ready.page}/status").json
    assert used["may_enter"] is False and SIGN_IN_INSTEAD in used["signin_note"]


def test_the_status_tells_another_browser_to_sign_in(elsewhere, ready):
    status = elsewhere.test_client().get(f"{ready.page}/status").json
    assert status["may_enter"] is False
    assert "signs in only the browser that sent the signup form" in status["signin_note"]


def test_the_status_of_a_signup_not_ready_keeps_the_page_asking(client, db_session, stripe_fake):
    sign_up(client)
    signup = db_session.scalar(select(Signup))
    status = client.get(f"/onboarding/{signup.id}/status").json
    assert status["state"] == "waiting" and status["final"] is False
    assert status["may_enter"] is False and status["signin_note"] is None


def test_a_ready_page_focuses_the_button_and_links_the_site(client, ready):
    page = client.get(ready.page).get_data(as_text=True)
    assert 'data-final="yes"' in page  # the script does not poll a finished page
    assert re.search(r'<div id="onboarding-enter">.*?<button[^>]* autofocus>Enter your portal',
                     page, re.S)
    assert '<div id="onboarding-signin" hidden>' in page
    link = re.search(r'<a id="onboarding-site" href="([^"]+)">bakery-blum\.example\.test</a>',
                     page)
    assert link and urlsplit(link[1]).hostname == "bakery-blum.example.test"
    assert link[1].startswith(("http://", "https://")) and link[1].endswith("/")


def test_the_page_polls_json_and_never_reloads_itself(client, db_session, stripe_fake):
    sign_up(client)
    signup = db_session.scalar(select(Signup))
    page = client.get(f"/onboarding/{signup.id}").get_data(as_text=True)
    assert 'data-final="no"' in page
    assert f'data-status-url="/onboarding/{signup.id}/status"' in page
    assert re.findall(r"<script[^>]*>.*?</script>", page, re.S) == [
        '<script src="/static/onboarding.js" defer></script>']  # CSP: script-src 'self'
    script = client.get("/static/onboarding.js")
    source = script.get_data(as_text=True)
    script.close()
    assert "location.reload" not in source and "may_enter" in source
