"""Stored passwords: argon2id at (at least) OWASP's parameters wherever a password is set, and
older hashes upgraded when their owner signs in."""

from __future__ import annotations

import base64
import re

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from db.models import Signup, User
from tenants import signin
from tenants import team as team_rules
from web.auth.views import RESET_TTL
from worker.services import services

import factories
from support import csrf_token

# OWASP Password Storage Cheat Sheet: argon2id, m=47104 KiB (46 MiB), t=1, p=1.
MIN_MEMORY_KIB, MIN_TIME, MIN_LANES = 47104, 1, 1
ARGON2 = re.compile(r"\$(?P<variant>argon2(?:id|i|d))\$v=(?P<version>\d+)\$m=(?P<m>\d+),"
                    r"t=(?P<t>\d+),p=(?P<p>\d+)\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<hash>[A-Za-z0-9+/]+)")


def _b64_length(text: str) -> int:
    return len(base64.b64decode(text + "=" * (-len(text) % 4)))


def assert_strong(stored: str) -> None:
    parsed = ARGON2.fullmatch(stored or "")
    assert parsed, f"not an argon2 hash: {stored[:30]!r}"
    assert parsed["variant"] == "argon2id"
    assert int(parsed["version"]) == 19
    assert int(parsed["m"]) >= MIN_MEMORY_KIB, f"m={parsed['m']} KiB"
    assert int(parsed["t"]) >= MIN_TIME and int(parsed["p"]) >= MIN_LANES
    assert _b64_length(parsed["salt"]) >= 16 and _b64_length(parsed["hash"]) >= 32


def owner_of(db_session, tenant) -> User:
    return db_session.scalar(select(User).where(User.email == tenant.owner_email))


def login(client, email, password=factories.PASSWORD):
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client, "/login")})


def test_every_way_of_setting_a_password_stores_argon2id_at_owasp_parameters(
        app, db_session, client, mails):
    # 1. The signup form (then provisioning copies it to the owner).
    url = "/signup?plan=starter&interval=month"
    submitted = client.post(url, data={
        "company": "Hash Check", "subdomain": "hash-check", "email": "hash@check.example",
        "password": "a long and fine passphrase", "template": "corporate", "terms": "y",
        "csrf_token": csrf_token(client, url)})
    assert submitted.status_code == 303
    assert_strong(db_session.scalar(select(Signup.password_hash)
                                    .where(Signup.subdomain == "hash-check")))
    tenant = factories.tenant(app, db_session)
    owner = owner_of(db_session, tenant)
    assert_strong(owner.password_hash)
    # 2. A password reset.
    link = f"/password/reset/{signin.issue(db_session, owner, 'reset', RESET_TTL)}"
    db_session.commit()
    assert client.post(link, data={"password": "another fine passphrase",
                                   "csrf_token": csrf_token(client, link)}).status_code == 302
    db_session.refresh(owner)
    assert_strong(owner.password_hash)
    # 3. Accepting a team invitation.
    invite = team_rules.invite(db_session, services(app).catalog, tenant, owner,
                               "new.member@example.com", "editor", app.config["SECRET_KEY"])
    db_session.commit()
    link = f"/invites/{team_rules.invite_token(app.config['SECRET_KEY'], invite.id)}"
    assert client.post(link, data={"password": "the invitee's passphrase",
                                   "csrf_token": csrf_token(client, link)}).status_code == 303
    member = db_session.scalar(select(User).where(User.email == "new.member@example.com"))
    assert_strong(member.password_hash)


OLD_HASHES = {
    "werkzeug scrypt": lambda password: generate_password_hash(password, method="scrypt"),
    # An older Werkzeug default; today's 1,000,000 rounds would take seconds per try here.
    "werkzeug pbkdf2": lambda password: generate_password_hash(password,
                                                               method="pbkdf2:sha256:60000"),
    "weaker argon2id (m=19 MiB, t=2)": PasswordHasher(memory_cost=19456, time_cost=2,
                                                      parallelism=1).hash,
    "argon2i": PasswordHasher(memory_cost=47104, time_cost=1, parallelism=1, type=Type.I).hash,
}


@pytest.mark.parametrize("kind", OLD_HASHES)
def test_an_old_hash_is_upgraded_when_its_owner_signs_in(app, db_session, client, second_process,
                                                         kind):
    tenant = factories.tenant(app, db_session)
    owner = owner_of(db_session, tenant)
    owner.password_hash = old = OLD_HASHES[kind](factories.PASSWORD)
    db_session.commit()

    wrong = login(client, tenant.owner_email, "not the right password")
    assert wrong.status_code == 401
    db_session.refresh(owner)
    assert owner.password_hash == old  # a failed try rewrites nothing

    assert login(client, tenant.owner_email).status_code == 302
    db_session.refresh(owner)
    assert owner.password_hash != old
    assert_strong(owner.password_hash)
    # And the upgraded hash still lets the owner in (from another process, a fresh browser).
    assert login(second_process.test_client(), tenant.owner_email).status_code == 302


def test_a_huge_password_costs_one_hash_like_any_other(app, db_session, client, monkeypatch):
    """No denial of service through a megabyte-long password: it is refused after exactly one
    argon2 verification (argon2 pre-hashes its input, so the cost does not grow with it), for
    a known and an unknown address alike."""
    from tenants import accounts

    verified = []
    real_verify = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password",
                        lambda stored, given: verified.append(len(given)) or real_verify(stored, given))
    tenant = factories.tenant(app, db_session)
    huge = "p" * (1024 * 1024)
    for email in (tenant.owner_email, "nobody@nowhere.example"):
        verified.clear()
        response = login(client, email, huge)
        assert response.status_code == 401
        assert verified == [len(huge)]


# Guessing: the throttle slows an attacker per (account, address) and per address, and cannot
# be used to lock the owner out. (tests/web/test_auth.py covers the per-pair limit.)

def login_from(client, email, password, address, **headers):
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client, "/login")},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_an_address_is_limited_across_many_accounts_without_locking_the_owner_out(
        app, db_session, client, second_process, monkeypatch):
    from web.auth import throttle

    monkeypatch.setattr(throttle, "PER_ADDRESS", 6)  # the mechanism, without 50 slow hashes
    tenant = factories.tenant(app, db_session)
    attacker = "203.0.113.66"
    for n in range(6):  # one guess each at six accounts: below every per-pair limit
        email = tenant.owner_email if n == 0 else f"victim-{n}@example.com"
        assert login_from(client, email, "guess guess guess", attacker).status_code == 401
    blocked = login_from(client, "victim-99@example.com", "guess guess guess", attacker)
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.get_data(as_text=True)
    # Even the right password from that address gets the same 429: no oracle while blocked.
    right = login_from(client, tenant.owner_email, factories.PASSWORD, attacker)
    assert right.status_code == 429
    assert client.get("/portal/").status_code == 302
    # The owner, from their own address, signs in.
    owner = second_process.test_client()
    assert login_from(owner, tenant.owner_email, factories.PASSWORD, "198.51.100.7").status_code == 302


def test_spelling_the_email_differently_does_not_reset_the_count(app, db_session, client):
    tenant = factories.tenant(app, db_session)
    email = tenant.owner_email
    for variant in (email.upper(), f"  {email}  ", email.title(), email.swapcase(), email):
        assert login_from(client, variant, "guess guess guess", "203.0.113.70").status_code == 401
    assert login_from(client, email, factories.PASSWORD, "203.0.113.70").status_code == 429


def test_a_forged_x_forwarded_for_gives_no_fresh_count_without_a_proxy(app, db_session, client):
    tenant = factories.tenant(app, db_session)
    for n in range(5):
        response = login_from(client, tenant.owner_email, "guess guess guess", "203.0.113.71",
                              **{"X-Forwarded-For": f"192.0.2.{n + 1}"})
        assert response.status_code == 401
    assert login_from(client, tenant.owner_email, factories.PASSWORD, "203.0.113.71",
                      **{"X-Forwarded-For": "192.0.2.200"}).status_code == 429


def test_behind_the_proxy_the_client_address_cannot_be_forged(app, db_session, https_client):
    """TRUST_PROXY trusts one proxy: it appends the real client address, and only that last
    X-Forwarded-For entry counts, whatever the client itself put before it."""
    tenant = factories.tenant(app, db_session)
    proxy = "10.0.0.1"
    for n in range(5):
        forged = f"192.0.2.{n + 1}, 203.0.113.72"  # client's forgery, then the proxy's entry
        response = login_from(https_client, tenant.owner_email, "guess guess guess", proxy,
                              **{"X-Forwarded-For": forged})
        assert response.status_code == 401
    assert login_from(https_client, tenant.owner_email, factories.PASSWORD, proxy,
                      **{"X-Forwarded-For": "192.0.2.250, 203.0.113.72"}).status_code == 429
    # The owner through the same proxy, from their own address (the throttle ignores cookies).
    assert login_from(https_client, tenant.owner_email, factories.PASSWORD, proxy,
                      **{"X-Forwarded-For": "198.51.100.8"}).status_code == 302
