"""Staff invite staff: an admin's invitation mails a link that sets a password once, within
three days; the newcomer then signs in and sets up the second factor like everyone."""

from __future__ import annotations

import re
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select
from staff_support import enrol, sign_out, signed_in_staff

from db.base import utcnow
from db.models import StaffAuditEntry, StaffUser

from support import csrf_token, run_jobs

NEW_PASSWORD = "a fresh staff passphrase 3"


def invite(client, email="newcomer@agency.example", role="support"):
    return client.post("/admin/staff", data={"email": email, "role": role,
                                              "csrf_token": csrf_token(client, "/admin/staff")})


def the_link(mails, email) -> str:
    mail = next(m for m in mails.emails if m["body"]["to"] == [email])
    found = re.search(r"(/admin/invite/[0-9]+\.[0-9a-f]+)", mail["body"]["text"])
    assert found, mail["body"]["text"]
    return found.group(1)


def test_an_invited_member_chooses_a_password_once_then_enrols(app, client, db_session, mails,
                                                               redis):
    signed_in_staff(client, db_session, "admin")
    assert invite(client).status_code == 303
    run_jobs(app)
    link = the_link(mails, "newcomer@agency.example")
    sign_out(client)
    page = client.get(link)
    assert page.status_code == 200 and "newcomer@agency.example" in page.get_data(as_text=True)
    chosen = client.post(link, data={"password": NEW_PASSWORD, "csrf_token": csrf_token(client, link)})
    assert chosen.status_code == 303 and chosen.headers["Location"].endswith("/admin/login")
    assert client.get(link).status_code == 404  # once
    newcomer = db_session.scalar(select(StaffUser).where(StaffUser.email == "newcomer@agency.example"))
    _secret, codes = enrol(client, newcomer, NEW_PASSWORD)
    assert len(codes) == 10
    assert db_session.scalar(select(StaffAuditEntry.staff_email).where(
        StaffAuditEntry.action == "staff_invite")) is not None


def test_only_admins_invite_and_an_old_link_is_refused(app, client, db_session, mails, redis):
    signed_in_staff(client, db_session, "support")
    assert invite(client).status_code == 403
    sign_out(client)
    signed_in_staff(client, db_session, "admin")
    invite(client, "late@agency.example")
    run_jobs(app)
    link = the_link(mails, "late@agency.example")
    invite(client, "late@agency.example")  # already has an account
    assert "already" in client.get("/admin/staff").get_data(as_text=True)
    assert client.get("/admin/invite/1.forged").status_code == 404
    with freeze_time(utcnow() + timedelta(days=4)):  # (last: the session is signed then)
        assert client.get(link).status_code == 404
