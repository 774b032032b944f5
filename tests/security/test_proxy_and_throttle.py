"""TRUST_PROXY is the number of proxies whose X-Forwarded-For is trusted, and the login
throttle keys on the client address it yields: a stranger's failures never lock the owner out
from elsewhere, and people sharing an address with a guesser who have signed in from it before
keep signing in."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from freezegun import freeze_time

from db.base import utcnow

import factories
from security_support import cheap_hashing
from support import csrf_token, share_transaction

GUESS = "guess guess guess"


def login_from(browser, email, password, address="10.0.0.1", forwarded_for=None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return browser.post("/login", data={"email": email, "password": password,
                                        "csrf_token": csrf_token(browser, "/login")},
                        environ_base={"REMOTE_ADDR": address}, headers=headers)


@pytest.fixture
def behind_two_proxies(app, make_app, db_session, redis, monkeypatch):
    """A CDN in front of the load balancer: TRUST_PROXY=2, read from the environment."""
    monkeypatch.setenv("TRUST_PROXY", "2")
    made = make_app()
    made.config["TESTING"] = True
    share_transaction(made, app)
    return made


def test_with_two_proxies_the_client_is_the_second_address_from_the_right(
        app, db_session, behind_two_proxies):
    assert behind_two_proxies.config["TRUST_PROXY"] == 2
    tenant = factories.tenant(app, db_session)
    balancer, edge = "10.0.0.2", "172.16.0.9"
    browser = behind_two_proxies.test_client()
    for n in range(5):
        # What the client wrote itself (left) is ignored; the edge wrote the client's address.
        forged = f"192.0.2.{n + 1}, 203.0.113.40, {edge}"
        assert login_from(browser, tenant.owner_email, GUESS, balancer, forged).status_code == 401
    assert login_from(browser, tenant.owner_email, factories.PASSWORD, balancer,
                      f"192.0.2.99, 203.0.113.40, {edge}").status_code == 429
    # The owner, through the same two proxies from their own address.
    assert login_from(browser, tenant.owner_email, factories.PASSWORD, balancer,
                      f"198.51.100.4, {edge}").status_code == 302


def test_behind_one_proxy_each_client_has_its_own_count(app, db_session, https_client):
    tenant = factories.tenant(app, db_session)
    proxy = "10.0.0.1"
    for _ in range(5):
        assert login_from(https_client, tenant.owner_email, GUESS, proxy,
                          "203.0.113.50").status_code == 401
    assert login_from(https_client, tenant.owner_email, factories.PASSWORD, proxy,
                      "203.0.113.50").status_code == 429
    assert login_from(https_client, tenant.owner_email, factories.PASSWORD, proxy,
                      "198.51.100.50").status_code == 302


def test_an_owner_who_signed_in_from_a_shared_address_is_not_stopped_by_a_guesser_there(
        app, db_session, client, second_process, monkeypatch):
    """An office behind one address: someone there sprays guesses at many accounts until the
    address is stopped. Newcomers from there are stopped too, but an owner who has signed in
    from that address before still signs in."""
    from web.auth import throttle

    cheap_hashing(monkeypatch)
    monkeypatch.setattr(throttle, "PER_ADDRESS", 6)  # the mechanism, without 100 slow hashes
    tenant = factories.tenant(app, db_session)
    office = "192.0.2.80"
    owner = second_process.test_client()
    assert login_from(owner, tenant.owner_email, factories.PASSWORD, office).status_code == 302
    owner.post("/logout", data={"csrf_token": csrf_token(owner, "/portal/")})

    for n in range(6):
        assert login_from(client, f"someone-{n}@example.com", GUESS, office).status_code == 401
    stopped = login_from(client, "newcomer@example.com", GUESS, office)
    assert stopped.status_code == 429 and "Too many failed attempts" in stopped.get_data(as_text=True)

    assert login_from(owner, tenant.owner_email, factories.PASSWORD, office).status_code == 302


def test_a_lock_out_ends_when_the_window_has_moved_on(app, db_session, client):
    tenant = factories.tenant(app, db_session)
    start = utcnow()
    with freeze_time(start) as frozen:
        for _ in range(5):
            assert login_from(client, tenant.owner_email, GUESS, "203.0.113.60").status_code == 401
        frozen.tick(timedelta(minutes=14))
        assert login_from(client, tenant.owner_email, factories.PASSWORD,
                          "203.0.113.60").status_code == 429
        frozen.tick(timedelta(minutes=2))
        assert login_from(client, tenant.owner_email, factories.PASSWORD,
                          "203.0.113.60").status_code == 302


def test_x_forwarded_for_without_trust_proxy_is_ignored_and_reported_once(
        app, make_app, db_session, redis, caplog):
    """A proxy left out of TRUST_PROXY makes every visitor share its address: say so in the
    log (once per process), and still believe nobody's header."""
    tenant = factories.tenant(app, db_session)
    web_process = make_app()
    web_process.config["TESTING"] = True
    share_transaction(web_process, app)
    browser = web_process.test_client()
    with caplog.at_level(logging.WARNING, logger=web_process.logger.name):
        for n in range(5):
            login_from(browser, tenant.owner_email, GUESS, "10.0.0.9", f"198.51.100.{n + 1}")
        blocked = login_from(browser, tenant.owner_email, factories.PASSWORD, "10.0.0.9",
                             "198.51.100.200")
    assert blocked.status_code == 429
    warnings = [r.getMessage() for r in caplog.records if "TRUST_PROXY is 0" in r.getMessage()]
    assert len(warnings) == 1, warnings
