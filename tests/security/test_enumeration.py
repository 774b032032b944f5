"""No account enumeration: login, signup and password reset answer an existing and an unknown
address with the same status and message, and take the same path to get there: the same
argon2 work (the slow part, which an attacker could time), the same queries and the same jobs.
Counting the work instead of timing it keeps the tests independent of the machine's load;
timing figures belong in bench/."""

from __future__ import annotations

import itertools
import re
import uuid
from collections import Counter
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from worker.queues import MAIL
from worker.services import services

import factories
from support import csrf_token

_addresses = itertools.count(1)
# What the test transaction (conftest.db_session) adds around the app's commits.
HARNESS = {"RESET ROLE", "SELECT set_config('app.tenant_id', '', false)"}


def fresh_address() -> str:
    """Each try from its own address, so that the login throttle never answers instead."""
    n = next(_addresses)
    return f"10.77.{n // 250}.{n % 250 + 1}"


def comparable(response, *variable: str) -> str:
    """The page without what legitimately differs: the CSRF token and the echoed input."""
    page = re.sub(r'name="csrf_token" (?:type="hidden" )?value="[^"]+"', "", response.get_data(as_text=True))
    for value in variable:
        page = page.replace(value, "<input>")
    return page


class CountingHasher:
    """The argon2 hasher of tenants.passwords, counting its hashes and verifications."""

    def __init__(self, hasher):
        self._hasher = hasher
        self.calls = Counter()

    def hash(self, *args, **kwargs):
        self.calls["hash"] += 1
        return self._hasher.hash(*args, **kwargs)

    def verify(self, *args, **kwargs):
        self.calls["verify"] += 1
        return self._hasher.verify(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._hasher, name)


@pytest.fixture
def work(app, monkeypatch):
    """``with work() as done:`` counts the argon2 calls and the SQL statements (their shape,
    without parameters) made inside the block."""
    from tenants import passwords

    hasher = CountingHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    engine = services(app).database.engine

    @contextmanager
    def measure():
        done = {"argon2": Counter(), "sql": []}
        before = hasher.calls.copy()

        def record(_conn, _cursor, statement, _parameters, _context, _executemany):
            statement = " ".join(statement.split())
            if statement not in HARNESS and not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                done["sql"].append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield done
        finally:
            event.remove(engine, "before_cursor_execute", record)
            done["argon2"] = hasher.calls - before

    return measure


def test_login_answers_an_existing_and_an_unknown_account_alike(app, db_session, client, work):
    tenant = factories.tenant(app, db_session)
    token = csrf_token(client, "/login")
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.com"

    def attempt(email):
        with work() as done:
            response = client.post("/login", data={"email": email, "password": "not the right password",
                                                   "csrf_token": token},
                                   environ_base={"REMOTE_ADDR": fresh_address()})
        return response, done

    known, known_work = attempt(tenant.owner_email)
    other, other_work = attempt(unknown)

    assert known.status_code == other.status_code == 401
    assert comparable(known, tenant.owner_email) == comparable(other, unknown)
    assert known_work["argon2"] == other_work["argon2"] == Counter(verify=1)
    assert known_work["sql"] == other_work["sql"]


def test_password_reset_answers_an_existing_and_an_unknown_account_alike(app, db_session, client,
                                                                         redis, work):
    tenant = factories.tenant(app, db_session)
    token = csrf_token(client, "/password/reset")
    queue = services(app).queues[MAIL]  # where mails are queued
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.com"

    def request(email):
        queued = set(queue.job_ids)
        with work() as done:
            response = client.post("/password/reset", data={"email": email, "csrf_token": token})
        jobs = [queue.fetch_job(job_id) for job_id in set(queue.job_ids) - queued]
        return response, done, sorted(job.func_name for job in jobs)

    known, known_work, known_jobs = request(tenant.owner_email)
    other, other_work, other_jobs = request(unknown)

    assert known.status_code == other.status_code == 302
    assert known.headers["Location"] == other.headers["Location"]
    assert comparable(known) == comparable(other)
    # One job each, the same one: whether the address has an account is decided off the request.
    assert len(known_jobs) == 1 and known_jobs == other_jobs
    assert known_work["argon2"] == other_work["argon2"] == Counter()
    assert known_work["sql"] == other_work["sql"]
    assert [statement.split()[:3] for statement in known_work["sql"]] == [
        ["INSERT", "INTO", "mail_log"]]


def signup_form(client, email: str):
    url = "/signup?plan=starter&interval=month"
    unique = uuid.uuid4().hex[:8]
    return url, {"company": f"Enum {unique}", "subdomain": f"enum-{unique}", "email": email,
                 "password": "flour and water at dawn", "template": "corporate", "terms": "y",
                 "csrf_token": csrf_token(client, url)}


# Signup does say that an address already has an account (issue 3 asks for that message, so
# that a returning customer is sent to sign in); it hashes the password before it answers, so
# a refusal costs the same argon2 work as an acceptance.


def test_signup_hashes_the_password_for_an_existing_address_as_for_a_new_one(
        app, db_session, client, stripe_fake, work):
    from sqlalchemy import select

    from db.models import Signup

    tenant = factories.tenant(app, db_session)

    def attempt(email):
        url, data = signup_form(client, email)
        with work() as done:
            response = client.post(url, data=data)
        return response, done, data

    existing, existing_work, _ = attempt(tenant.owner_email)
    fresh_email = f"fresh-{uuid.uuid4().hex[:8]}@example.com"
    fresh, fresh_work, fresh_data = attempt(fresh_email)

    assert existing.status_code == 422
    assert "This email already has a Contyzr account. Sign in instead." in existing.get_data(as_text=True)
    # The new address reached Checkout at the local Stripe.
    signup = db_session.scalar(select(Signup).where(Signup.email == fresh_email))
    assert signup is not None and signup.subdomain == fresh_data["subdomain"]
    assert fresh.status_code == 303 or fresh.status_code == 302
    assert fresh.headers["Location"] == signup.checkout_url
    assert signup.checkout_url.startswith(stripe_fake.url + "/checkout/pay/")
    assert existing_work["argon2"]["hash"] == fresh_work["argon2"]["hash"] == 1
    assert existing_work["argon2"]["verify"] == fresh_work["argon2"]["verify"] == 0
