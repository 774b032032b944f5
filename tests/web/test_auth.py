"""Signing in and out, throttling, password reset."""

import re

import pytest

from tenants.provisioning import run_provisioning
from worker.jobs.provisioning import provisioning_services

import factories
from support import csrf_token, run_jobs, share_transaction


@pytest.fixture
def owner(app, db_session, mails):
    signup = factories.signup(db_session)
    db_session.commit()
    with app.app_context():
        run_provisioning(db_session, provisioning_services(), signup.id)
    mails.state.reset()
    return signup


def login(client, email, password, address="10.0.0.1", next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password,
                                  "csrf_token": csrf_token(client, "/login")},
                       environ_base={"REMOTE_ADDR": address})


def test_login_lands_on_the_portal(client, owner):
    response = login(client, owner.email, factories.PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/portal/"
    assert owner.company in client.get("/portal/").get_data(as_text=True)


def test_wrong_password_and_unknown_email_get_the_same_answer(client, owner):
    wrong = login(client, owner.email, "not the password at all")
    unknown = login(client, "nobody@nowhere.example", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "The email or password is not right." in wrong.get_data(as_text=True)
    assert "The email or password is not right." in unknown.get_data(as_text=True)


def test_throttle_slows_the_attacker_but_not_the_owner(client, app, owner):
    for _ in range(5):
        assert login(client, owner.email, "guess guess guess", address="203.0.113.9").status_code == 401
    blocked = login(client, owner.email, factories.PASSWORD, address="203.0.113.9")
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.get_data(as_text=True)
    # The owner, from their own address, is not locked out.
    assert login(client, owner.email, factories.PASSWORD, address="198.51.100.7").status_code == 302


def test_session_is_renewed_at_login_and_dead_after_logout(app, make_app, client, owner):
    client.get("/login")
    before = client.get_cookie("session").value
    login(client, owner.email, factories.PASSWORD)
    signed_in = client.get_cookie("session").value
    assert signed_in != before
    # Another browser, served by another web process (its own app, so nothing is shared in g).
    other_process = make_app()
    share_transaction(other_process, app)
    thief = other_process.test_client()
    thief.set_cookie("session", signed_in)
    assert thief.get("/portal/").status_code == 200  # the copied cookie works before logout...
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    assert thief.get("/portal/").status_code == 302  # ...and no longer after it


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_next_only_redirects_within_this_site(client, owner, target):
    response = login(client, owner.email, factories.PASSWORD, next_url=target)
    assert response.headers["Location"] == "/portal/"


def test_next_to_a_local_page_is_kept(client, owner):
    response = login(client, owner.email, factories.PASSWORD, next_url="/portal/?tab=1")
    assert response.headers["Location"] == "/portal/?tab=1"


def reset(client, email):
    return client.post("/password/reset", data={
        "email": email, "csrf_token": csrf_token(client, "/password/reset")},
        follow_redirects=True)


def test_password_reset_is_neutral_and_works_once(app, client, owner, mails):
    known = reset(client, owner.email).get_data(as_text=True)
    unknown = reset(client, "nobody@nowhere.example").get_data(as_text=True)
    assert "If an account exists for that address" in known
    assert "If an account exists for that address" in unknown
    run_jobs(app)
    assert [m["body"]["to"] for m in mails.emails] == [[owner.email]]
    link = re.search(r"http://localhost(/password/reset/[0-9a-f]{64})",
                     mails.emails[0]["body"]["text"]).group(1)
    new_password = "a brand new passphrase"
    done = client.post(link, data={"password": new_password,
                                   "csrf_token": csrf_token(client, link)})
    assert done.headers["Location"] == "/portal/"
    again = client.post(link, data={"password": "yet another passphrase",
                                    "csrf_token": csrf_token(client, link)}, follow_redirects=True)
    assert "already used" in again.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    assert login(client, owner.email, new_password).status_code == 302


def test_password_reset_mails_are_rate_limited_per_address(app, client, owner, mails):
    for _ in range(3):
        reset(client, owner.email)
    run_jobs(app)
    assert len(mails.emails) == 1


def test_a_password_reset_ends_the_lock_out_on_that_address(app, client, owner, mails):
    address = "10.0.0.9"
    for _ in range(5):
        assert login(client, owner.email, "wrong guess number", address).status_code == 401
    assert login(client, owner.email, "wrong guess number", address).status_code == 429
    reset(client, owner.email)
    run_jobs(app)
    link = re.search(r"http://localhost(/password/reset/[0-9a-f]{64})",
                     mails.emails[0]["body"]["text"]).group(1)
    new_password = "a brand new passphrase"
    done = client.post(link, data={"password": new_password, "csrf_token": csrf_token(client, link)},
                       environ_base={"REMOTE_ADDR": address})
    assert done.headers["Location"] == "/portal/"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    assert login(client, owner.email, new_password, address).status_code == 302
