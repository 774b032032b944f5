"""The back office's door: staff accounts apart from tenants' users, a password and a
mandatory TOTP second factor (enrolled with a QR code, with recovery codes), no code working
twice, sessions that end when idle, roles, and an audit log no one can edit."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pyotp
import pytest
from freezegun import freeze_time
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from staff_support import PASSWORD, code_step, make_staff, password_step, sign_out
from staff_support import enrol as enrol_staff

from db.models import StaffAuditEntry, StaffUser
from staff.accounts import MANAGE, READ, REVENUE, may

import factories
from support import csrf_token


def later(seconds: float) -> datetime:
    return datetime.fromtimestamp(time.time() + seconds, UTC)


def enrol(client, _db_session, staff):
    return enrol_staff(client, staff)


def test_a_staff_member_enrols_a_second_factor_and_signs_in_with_it(client, db_session, redis):
    staff = make_staff(db_session, "admin")
    assert client.get("/admin/").status_code == 302  # not signed in
    secret, codes = enrol(client, db_session, staff)
    assert len(codes) == 10
    assert client.get("/admin/").status_code == 200
    sign_out(client)
    assert client.get("/admin/").status_code == 302

    # Next time: the password, then a code the app shows now (one of the next step).
    assert password_step(client, staff).status_code == 303
    with freeze_time(later(30)):  # (the session cookie is signed at this time too)
        answer = code_step(client, pyotp.TOTP(secret).now())
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/admin/")
        assert "<h1>Overview</h1>" in client.get("/admin/").get_data(as_text=True)


def test_a_wrong_or_replayed_code_and_a_wrong_password_are_refused_and_audited(
        client, db_session, redis):
    staff = make_staff(db_session)
    secret, _codes = enrol(client, db_session, staff)
    sign_out(client)
    assert password_step(client, staff, "not the password").status_code == 401
    password_step(client, staff)
    assert code_step(client, "000000").status_code == 401
    with freeze_time(later(30)):
        used = pyotp.TOTP(secret).now()
        assert code_step(client, used).status_code == 303
        sign_out(client)
        password_step(client, staff)
        replayed = code_step(client, used)
    assert replayed.status_code == 401 and "used already" in replayed.get_data(as_text=True)
    refused = db_session.scalars(select(StaffAuditEntry.details["step"].astext).where(
        StaffAuditEntry.action == "sign_in", StaffAuditEntry.outcome == "refused",
        StaffAuditEntry.staff_email == staff.email)).all()
    assert sorted(refused) == ["password", "second factor", "second factor"]


def test_a_recovery_code_signs_in_once(client, db_session, redis):
    staff = make_staff(db_session)
    _secret, codes = enrol(client, db_session, staff)
    sign_out(client)
    password_step(client, staff)
    assert code_step(client, codes[0].upper()).status_code == 303
    sign_out(client)
    password_step(client, staff)
    assert code_step(client, codes[0]).status_code == 401


def test_the_code_step_needs_the_password_step_first(client, db_session, redis):
    assert client.get("/admin/login/code").status_code == 303
    skipped = client.post("/admin/login/code", data={
        "code": "123456", "csrf_token": csrf_token(client, "/admin/login")})
    assert skipped.status_code == 303 and skipped.headers["Location"].endswith("/admin/login")


def test_an_idle_session_ends(app, client, db_session, redis):
    staff = make_staff(db_session)
    enrol(client, db_session, staff)
    assert client.get("/admin/").status_code == 200
    with freeze_time(later(31 * 60)):
        gone = client.get("/admin/audit")
    assert gone.status_code == 302 and "/admin/login" in gone.headers["Location"]


def test_a_tenant_user_is_not_staff(app, client, db_session, sign_in, redis):
    tenant = factories.tenant(app, db_session, plan="professional")
    sign_in(tenant.owner_email)
    for path in ("/admin/", "/admin/audit"):
        assert client.get(path).status_code == 302
    # Their password does not open the back office either.
    answer = client.post("/admin/login", data={"email": tenant.owner_email,
                                               "password": factories.PASSWORD,
                                               "csrf_token": csrf_token(client, "/admin/login")})
    assert answer.status_code == 401


def test_roles_decide_what_a_staff_member_may_do(client, db_session, redis):
    admin, support, finance = (make_staff(db_session, role) for role in
                               ("admin", "support", "finance"))
    assert may(admin, MANAGE) and may(admin, REVENUE)
    assert may(support, READ) and not may(support, MANAGE) and not may(support, REVENUE)
    assert may(finance, REVENUE) and not may(finance, READ)
    enrol(client, db_session, finance)
    assert client.get("/admin/audit").status_code == 403  # finance: revenue only
    assert db_session.scalar(select(StaffAuditEntry).where(
        StaffAuditEntry.staff_id == finance.id, StaffAuditEntry.outcome == "refused",
        StaffAuditEntry.action == "admin.audit_log")) is not None


def test_the_audit_log_cannot_be_edited_or_deleted(db_session):
    staff = make_staff(db_session)
    from staff import audit

    audit.record(db_session, staff, "test", reason="why")
    db_session.commit()
    for statement in ("UPDATE staff_audit SET reason = 'rewritten'", "DELETE FROM staff_audit",
                      "TRUNCATE staff_audit"):
        with pytest.raises(DBAPIError, match="append-only"), db_session.begin_nested():
            db_session.execute(text(statement))


def test_staff_accounts_are_made_on_the_command_line(app, db_session, redis):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["staff", "create", "ops@agency.example", "--role", "admin",
                                 "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "second factor" in result.output
    assert db_session.scalar(select(StaffUser.role).where(
        StaffUser.email == "ops@agency.example")) == "admin"
    again = runner.invoke(args=["staff", "create", "OPS@agency.example", "--role", "admin",
                                "--password", PASSWORD])
    assert again.exit_code != 0 and "already" in again.output
    weak = runner.invoke(args=["staff", "create", "x@agency.example", "--role", "support",
                               "--password", "short"])
    assert weak.exit_code != 0
