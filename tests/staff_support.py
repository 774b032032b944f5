"""Staff for back-office tests: an account, its second factor enrolled, signed in."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from staff import accounts

from support import csrf_token

PASSWORD = "a long staff passphrase 7"


def make_staff(db_session, role="support", email=None):
    staff = accounts.create(db_session, email or f"{role}-{time.time_ns()}@agency.example",
                            role, PASSWORD)
    db_session.commit()
    return staff


def password_step(client, staff, password=PASSWORD):
    return client.post("/admin/login", data={"email": staff.email, "password": password,
                                              "csrf_token": csrf_token(client, "/admin/login")})


def code_step(client, code):
    return client.post("/admin/login/code", data={
        "code": code, "csrf_token": csrf_token(client, "/admin/login/code")})


def enrol(client, staff, password=PASSWORD) -> tuple[str, list[str]]:
    """First sign-in: the QR page, then the first code; (the secret, the recovery codes)."""
    answer = password_step(client, staff, password)
    assert answer.status_code == 303, answer.get_data(as_text=True)
    page = client.get("/admin/login/code").get_data(as_text=True)
    assert "<svg" in page and "Scan this code" in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    done = code_step(client, pyotp.TOTP(secret).now())
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f]{8}-[0-9a-f]{8})</code></li>",
                       done.get_data(as_text=True))
    return secret, codes


def signed_in_staff(client, db_session, role="support"):
    staff = make_staff(db_session, role)
    enrol(client, staff)
    return staff


def sign_out(client):
    client.post("/admin/logout", data={"csrf_token": csrf_token(client, "/admin/")})


def failed_run(app, client, db_session, monkeypatch, step="seed_site",
               error="the template store is down"):
    """A paid signup whose provisioning failed for good at ``step``; the cause is fixed
    afterwards (the patch undone), so a retry finishes it."""
    from db.models import Tenant
    from tenants import provisioning

    import factories
    from support import invoice, post_event, run_jobs, stripe_event

    signup = factories.signup(db_session)
    db_session.commit()
    steps = list(provisioning.STEPS)

    def cannot(ctx):
        raise provisioning.ProvisioningError(error)

    steps[provisioning.STEP_NAMES.index(step)] = (step, cannot)
    monkeypatch.setattr(provisioning, "STEPS", steps)
    event = stripe_event("invoice.paid", invoice(signup.stripe_customer_id, "sub_x",
                                                 signup_id=signup.id))
    assert post_event(client, event).status_code == 200
    run_jobs(app)
    monkeypatch.undo()
    return signup, db_session.scalar(select(Tenant).where(Tenant.signup_id == signup.id))
