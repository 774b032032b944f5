"""The platform API for staff tools (``/api/platform``): staff API tokens made in the back
office, acting with their staff member's role; every endpoint, every refusal audited with
``via: "api"``, rate limited per token, and JSON answers only (never an HTML page or a 500)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from staff_support import failed_run, make_staff, sign_out, signed_in_staff

from db.base import utcnow
from db.models import StaffApiToken, StaffAuditEntry, Tenant
from db.models.tenants import BillingState
from staff import api_tokens
from tenants import provisioning
from tenants.api_keys import create_key
from web.platform_api import access

import factories
from support import csrf_token, run_jobs


def token_of(db_session, role: str = "admin", name: str = "tool"):
    """A staff member of ``role`` and a token of theirs: (staff, token)."""
    staff = make_staff(db_session, role)
    _row, token = api_tokens.create(db_session, staff, name)
    db_session.commit()
    return staff, token


def call(client, method: str, path: str, token: str | None = None, **kwargs):
    headers = kwargs.pop("headers", {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return client.open(f"/api/platform{path}", method=method, headers=headers, **kwargs)


def api_entries(db_session, action: str | None = None, tenant_id: int | None = None):
    statement = select(StaffAuditEntry).where(StaffAuditEntry.details["via"].astext == "api")
    if action is not None:
        statement = statement.where(StaffAuditEntry.action == action)
    if tenant_id is not None:
        statement = statement.where(StaffAuditEntry.tenant_id == tenant_id)
    return db_session.scalars(statement.order_by(StaffAuditEntry.id)).all()


def state_of(db_session, tenant) -> str:
    db_session.expire_all()
    return db_session.get(Tenant, tenant.id).billing_state


def test_the_tenant_list_searches_filters_and_pages(app, client, db_session, redis):
    starter = factories.tenant(app, db_session, plan="starter")
    pro = factories.tenant(app, db_session, plan="professional")
    staff, token = token_of(db_session, "support")

    found = call(client, "GET", f"/tenants?q={pro.subdomain}", token)
    assert found.status_code == 200 and found.is_json
    body = found.get_json()
    assert [row["id"] for row in body["data"]] == [pro.id] and body["total"] == 1
    row = body["data"][0]
    assert (row["plan"], row["billing_state"], row["owner_email"], row["health"]) == (
        "professional", "active", pro.owner_email, "ok")
    assert "RateLimit-Remaining" in found.headers and found.headers["Cache-Control"] == "no-store"

    same_plan = call(client, "GET", f"/tenants?q={starter.subdomain}&plan=professional", token)
    assert same_plan.get_json()["data"] == []
    paged = call(client, "GET", "/tenants?size=1&page=2&sort=oldest&billing_state=active"
                                "&health=ok&trial=no", token).get_json()
    assert (paged["size"], paged["page"], len(paged["data"])) == (1, 2, 1)
    assert paged["total"] >= 2 and paged["pages"] == paged["total"]

    entry = api_entries(db_session, "tenant_list")[0]
    assert (entry.staff_id, entry.outcome, entry.details["query"]) == (
        staff.id, "done", {"q": pro.subdomain})


@pytest.mark.parametrize(("query", "field"), [
    ("plan=platinum", "plan"), ("billing_state=happy", "billing_state"),
    ("health=so-so", "health"), ("sort=random", "sort"), ("trial=maybe", "trial"),
    ("page=0", "page"), ("page=abc", "page"), ("page=-1", "page"), ("size=0", "size"),
    ("size=1000", "size"), ("size=1e3", "size"), ("q=" + "x" * 300, "q"),
])
def test_bad_list_input_is_a_400_naming_the_field(client, db_session, redis, query, field):
    _staff, token = token_of(db_session, "support")
    answer = call(client, "GET", f"/tenants?{query}", token)
    assert answer.status_code == 400 and answer.is_json, answer.get_data(as_text=True)
    assert answer.get_json()["error"]["field"] == field
    assert answer.get_json()["error"]["message"]
    assert api_entries(db_session, "tenant_list")[-1].outcome == "refused"


def test_a_tenants_file_is_json_without_secrets(app, client, db_session, mails, redis):
    tenant = factories.tenant(app, db_session, plan="professional", provision=True)
    _staff, token = token_of(db_session, "admin")
    answer = call(client, "GET", f"/tenants/{tenant.id}", token)
    assert answer.status_code == 200 and answer.is_json
    data = answer.get_json()["data"]
    assert (data["id"], data["plan"], data["billing_state"], data["subdomain"]) == (
        tenant.id, "professional", "active", tenant.subdomain)
    assert data["provisioning"]["status"] == "succeeded"
    assert [step["name"] for step in data["provisioning"]["steps"]] == provisioning.STEP_NAMES
    assert [m["email"] for m in data["members"]] == [tenant.owner_email]
    assert data["mails"]["recent"] == 1 and data["mails"]["items"][0]["kind"] == "welcome"
    assert {"recent", "failed", "items"} <= set(data["stripe_events"])
    assert {u["name"] for u in data["usage"]} >= {"pages", "users"}
    text = answer.get_data(as_text=True)
    for secret in ("password", "hash", "token", "params", "payload", "scrypt", "pbkdf2"):
        assert secret not in text, secret
    assert api_entries(db_session, "tenant_file", tenant.id)[0].outcome == "done"


def test_an_unknown_tenant_is_a_404_in_json_and_audited(client, db_session, redis):
    _staff, token = token_of(db_session, "admin")
    for method, path in (("GET", "/tenants/987654321"),
                         ("POST", "/tenants/987654321/suspend"),
                         ("POST", "/tenants/987654321/reactivate"),
                         ("POST", "/tenants/987654321/retry")):
        answer = call(client, method, path, token, json={"reason": "checking"})
        assert answer.status_code == 404 and answer.is_json, (path, answer.status_code)
        assert answer.get_json()["error"]["message"] == "There is no such tenant."
    assert [e.outcome for e in api_entries(db_session, tenant_id=987654321)] == ["refused"] * 4
    # An id out of range, an address that is no endpoint, a wrong method: JSON too.
    for method, path, status in (("GET", "/tenants/2147483648", 404), ("GET", "/nothing", 404),
                                 ("GET", "/tenants/1/suspend", 405),
                                 ("DELETE", "/tenants/1", 405)):
        answer = call(client, method, path, token)
        assert (answer.status_code, answer.is_json) == (status, True), path


def test_an_admin_suspends_and_reactivates_with_a_reason(app, client, db_session, mails, redis):
    tenant = factories.tenant(app, db_session, plan="starter")
    staff, token = token_of(db_session, "admin")
    url = f"/tenants/{tenant.id}/suspend"

    for body in ({}, {"reason": "   "}, {"reason": 12}, {"reason": "x" * 191}):
        missing = call(client, "POST", url, token, json=body)
        assert missing.status_code == 400 and missing.get_json()["error"]["field"] == "reason"
    for raw, kind in (("not json", "application/json"), ("[1, 2]", "application/json"),
                      ("[" * 100000, "application/json"), ("reason=", "text/plain")):
        odd = call(client, "POST", url, token, data=raw, content_type=kind)
        assert odd.status_code == 400 and odd.is_json, raw[:10]
    assert state_of(db_session, tenant) == BillingState.ACTIVE

    done = call(client, "POST", url, token, json={"reason": "abuse report #12"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["data"]["tenant"]["billing_state"] == "suspended"
    assert state_of(db_session, tenant) == BillingState.SUSPENDED
    entry = api_entries(db_session, "suspend", tenant.id)[-1]
    assert (entry.staff_id, entry.outcome, entry.reason, entry.details["token_id"]) == (
        staff.id, "done", "abuse report #12",
        db_session.scalar(select(StaffApiToken.id).where(StaffApiToken.staff_id == staff.id)))
    run_jobs(app)
    assert [m["body"]["to"] for m in mails.emails] == [[tenant.owner_email]]  # the mail

    again = call(client, "POST", url, token, json={"reason": "twice"})
    assert again.status_code == 409 and "suspended" in again.get_json()["error"]["message"]
    # A form works as well as JSON.
    back = call(client, "POST", f"/tenants/{tenant.id}/reactivate", token,
                data={"reason": "resolved"})
    assert back.status_code == 200 and state_of(db_session, tenant) == BillingState.ACTIVE
    assert [e.outcome for e in api_entries(db_session, tenant_id=tenant.id)] == [
        "refused"] * 8 + ["done", "refused", "done"]


def test_a_support_token_may_read_but_not_suspend(app, client, db_session, redis):
    tenant = factories.tenant(app, db_session)
    staff, token = token_of(db_session, "support")
    assert call(client, "GET", f"/tenants/{tenant.id}", token).status_code == 200
    refused = call(client, "POST", f"/tenants/{tenant.id}/suspend", token,
                   json={"reason": "abuse"})
    assert refused.status_code == 403 and refused.is_json
    assert "support" in refused.get_json()["error"]["message"]
    assert state_of(db_session, tenant) == BillingState.ACTIVE
    entry = api_entries(db_session, "suspend", tenant.id)[-1]
    assert (entry.staff_id, entry.outcome, entry.details["needs"]) == (
        staff.id, "refused", ["manage"])


def test_a_finance_token_gets_the_figures_but_not_the_tenants(app, client, db_session, redis):
    tenant = factories.tenant(app, db_session)
    _staff, token = token_of(db_session, "finance")
    for path in ("/tenants", f"/tenants/{tenant.id}"):
        assert call(client, "GET", path, token).status_code == 403
    figures = call(client, "GET", "/stats", token)
    assert figures.status_code == 200
    data = figures.get_json()["data"]
    assert {"mrr_cents", "arr_cents", "paying", "trialing", "past_due"} <= set(data)
    assert data["arr_cents"] == 12 * data["mrr_cents"]
    assert [p["plan"] for p in data["tenants_per_plan"]][:3] == [
        "starter", "professional", "enterprise"]
    assert [e.outcome for e in api_entries(db_session, "stats")] == ["done"]
    _support, support_token = token_of(db_session, "support")
    assert call(client, "GET", "/stats", support_token).status_code == 200  # read


def test_callers_without_a_working_staff_token_get_401_and_change_nothing(
        app, client, db_session, redis, sign_in, monkeypatch):
    monkeypatch.setattr(access, "FAILURES_PER_MINUTE", 1000)  # the limit has its own test
    tenant = factories.tenant(app, db_session)
    tenant_key = create_key(db_session, tenant.id, "site sync")[1]
    revoked_staff, revoked = token_of(db_session, "admin")
    api_tokens.revoke(db_session, revoked_staff,
                      db_session.scalar(select(StaffApiToken.id).where(
                          StaffApiToken.staff_id == revoked_staff.id)))
    disabled_staff, disabled = token_of(db_session, "admin")
    disabled_staff.disabled_at = utcnow()
    _staff, good = token_of(db_session, "admin")
    db_session.commit()
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    callers = {"no token": {}, "basic auth": {"Authorization": "Basic YWRtaW46YWRtaW4="},
               "empty bearer": {"Authorization": "Bearer "},
               "garbage": {"Authorization": "Bearer nonsense"},
               "NUL": {"Authorization": "Bearer czs_a\x00b_c"},
               "forged secret": {"Authorization": f"Bearer {forged}"},
               "revoked token": {"Authorization": f"Bearer {revoked}"},
               "disabled staff": {"Authorization": f"Bearer {disabled}"},
               "tenant's API key": {"Authorization": f"Bearer {tenant_key}"}}
    paths = [("GET", "/tenants"), ("GET", f"/tenants/{tenant.id}"), ("GET", "/stats"),
             ("POST", f"/tenants/{tenant.id}/suspend"), ("GET", "/no-such-thing")]
    for label, headers in callers.items():
        for method, path in paths:
            answer = call(client, method, path, headers=headers, json={"reason": "x"})
            assert (answer.status_code, answer.is_json) == (401, True), (label, path)
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    # A tenant owner's session, and a staff member's back-office session, are no token either.
    sign_in(tenant.owner_email)
    assert call(client, "POST", f"/tenants/{tenant.id}/suspend",
                json={"reason": "x"}).status_code == 401
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    signed_in_staff(client, db_session, "admin")
    assert client.get(f"/admin/tenants/{tenant.id}").status_code == 200  # the control
    assert call(client, "POST", f"/tenants/{tenant.id}/suspend",
                data={"reason": "x"}).status_code == 401
    assert call(client, "GET", "/tenants").status_code == 401

    assert state_of(db_session, tenant) == BillingState.ACTIVE
    refusals = api_entries(db_session, "suspend", tenant.id)
    assert len(refusals) == len(callers) + 2 and {e.outcome for e in refusals} == {"refused"}
    problems = {e.details["problem"] for e in refusals}
    assert problems == {"no_token", "malformed", "unknown", "revoked", "staff_disabled"}
    # The revoked token and the disabled member's still say whose they were.
    assert {e.staff_id for e in refusals if e.details["problem"] in ("revoked", "staff_disabled")
            } == {revoked_staff.id, disabled_staff.id}
    assert call(client, "GET", "/tenants", good).status_code == 200  # the control


def test_a_failed_provisioning_run_is_retried(app, client, db_session, mails, monkeypatch, redis):
    signup, tenant = failed_run(app, client, db_session, monkeypatch)
    _staff, token = token_of(db_session, "support")
    listed = call(client, "GET", f"/tenants?q={signup.subdomain}&health=failing", token)
    assert listed.get_json()["data"][0]["problems"] == ["provisioning_failed"]
    shown = call(client, "GET", f"/tenants/{tenant.id}", token).get_json()["data"]
    assert shown["provisioning"]["status"] == "failed"
    assert "the template store is down" in shown["provisioning"]["error"]

    assert call(client, "POST", f"/tenants/{tenant.id}/retry", token,
                json={}).status_code == 400
    retried = call(client, "POST", f"/tenants/{tenant.id}/retry", token,
                   json={"reason": "template store is back"})
    assert retried.status_code == 202, retried.get_data(as_text=True)
    run_jobs(app)
    db_session.expire_all()
    assert db_session.get(Tenant, tenant.id).provisioning_state == "active"
    entry = api_entries(db_session, "retry_provisioning", tenant.id)[-1]
    assert (entry.outcome, entry.reason) == ("done", "template store is back")

    # Nothing failed any more: a retry has nothing to do.
    again = call(client, "POST", f"/tenants/{tenant.id}/retry", token, json={"reason": "again"})
    assert again.status_code == 409 and again.is_json


def test_calls_are_rate_limited_per_token(client, db_session, redis, monkeypatch):
    monkeypatch.setattr(access, "REQUESTS_PER_MINUTE", 3)
    staff, token = token_of(db_session, "finance")
    _other_staff, other = token_of(db_session, "finance")
    answers = [call(client, "GET", "/stats", token) for _ in range(6)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429, 429]
    limited = answers[3]
    assert limited.is_json and int(limited.headers["Retry-After"]) >= 1
    assert answers[0].headers["RateLimit-Limit"] == "3"
    assert answers[2].headers["RateLimit-Remaining"] == "0"
    assert call(client, "GET", "/stats", other).status_code == 200  # each token its own
    # Audited once per window, not once per call.
    refused = [e for e in api_entries(db_session, "stats") if e.outcome == "refused"]
    assert len(refused) == 1 and refused[0].details["problem"] == "rate_limited"
    assert refused[0].staff_id == staff.id


def test_failed_authentications_are_limited_per_address(client, db_session, redis, monkeypatch):
    monkeypatch.setattr(access, "FAILURES_PER_MINUTE", 2)
    answers = [call(client, "GET", "/tenants", "czs_0000_wrong") for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 429, 429, 429]
    assert "Retry-After" in answers[2].headers
    entries = api_entries(db_session, "tenant_list")
    assert [e.details["problem"] for e in entries] == ["unknown", "unknown",
                                                       "too_many_failures"]


def test_staff_make_see_and_revoke_their_own_tokens(app, client, db_session, redis):
    staff = signed_in_staff(client, db_session, "support")
    page = client.get("/admin/tokens")
    assert page.status_code == 200 and "API tokens" in page.get_data(as_text=True)
    assert 'href="/admin/tokens"' in client.get("/admin/").get_data(as_text=True)  # the nav

    unnamed = client.post("/admin/tokens", data={
        "name": "  ", "csrf_token": csrf_token(client, "/admin/tokens")})
    assert unnamed.status_code == 400 and "Name the token" in unnamed.get_data(as_text=True)
    made = client.post("/admin/tokens", data={
        "name": "Support dashboard", "csrf_token": csrf_token(client, "/admin/tokens")})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    shown = made.get_data(as_text=True)
    token = shown.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert token.startswith("czs_") and "Support dashboard" in shown
    row = db_session.scalar(select(StaffApiToken).where(StaffApiToken.staff_id == staff.id))
    assert row.token_hash != token and token not in json.dumps(
        [e.details for e in db_session.scalars(select(StaffAuditEntry))])
    listed = client.get("/admin/tokens").get_data(as_text=True)
    assert token not in listed and f"czs_{row.prefix}_" in listed  # shown once only

    assert call(client, "GET", "/tenants", token).status_code == 200  # it acts as support
    db_session.expire_all()
    assert db_session.get(StaffApiToken, row.id).last_used_at is not None

    # Another staff member's token is not theirs to revoke.
    other, _other_token = token_of(db_session, "admin")
    other_row = db_session.scalar(select(StaffApiToken).where(StaffApiToken.staff_id == other.id))
    assert client.post(f"/admin/tokens/{other_row.id}/revoke", data={
        "csrf_token": csrf_token(client, "/admin/tokens")}).status_code == 404
    revoked = client.post(f"/admin/tokens/{row.id}/revoke", data={
        "csrf_token": csrf_token(client, "/admin/tokens")})
    assert revoked.status_code == 303
    assert call(client, "GET", "/tenants", token).status_code == 401
    assert "Revoked" in client.get("/admin/tokens").get_data(as_text=True)
    actions = [e.action for e in db_session.scalars(select(StaffAuditEntry).where(
        StaffAuditEntry.staff_id == staff.id).order_by(StaffAuditEntry.id))]
    assert "create_api_token" in actions and "revoke_api_token" in actions
    db_session.expire_all()
    assert db_session.get(StaffApiToken, other_row.id).revoked_at is None

    sign_out(client)
    assert client.get("/admin/tokens").status_code == 302  # staff only


def test_a_token_acts_with_its_members_current_role(client, db_session, redis):
    staff, token = token_of(db_session, "finance")
    assert call(client, "GET", "/tenants", token).status_code == 403
    staff.role = "support"
    db_session.commit()
    assert call(client, "GET", "/tenants", token).status_code == 200


def test_hostile_input_is_answered_in_json_never_a_500(app, client, db_session, mails, redis):
    tenant = factories.tenant(app, db_session)
    _staff, token = token_of(db_session, "admin")
    url = f"/tenants/{tenant.id}/reactivate"  # refused (409) once the reason is read
    answers = {
        "NUL and a lone surrogate in the reason": call(
            client, "POST", url, token, data='{"reason": "a\\u0000b\\ud800c"}',
            content_type="application/json"),
        "a reason list": call(client, "POST", url, token, json={"reason": ["a"]}),
        "malformed multipart": call(client, "POST", url, token, data=b"--x\r\nnonsense",
                                    content_type="multipart/form-data; boundary=x"),
        "20 MB": call(client, "POST", url, token, data=b"reason=" + b"x" * (20 * 1024 * 1024),
                      content_type="application/x-www-form-urlencoded"),
        "a NUL in the query": call(client, "GET", "/tenants?q=a%00b", token),
        "invalid UTF-8 in the query": call(client, "GET", "/tenants?q=%FF%FE&plan=%C3%28", token),
        "a surrogate in the query": call(client, "GET", "/tenants?q=%ED%A0%80", token),
        "an odd page": call(client, "GET", "/tenants?page=%D9%A1", token),
    }
    for label, answer in answers.items():
        assert answer.status_code < 500 and answer.is_json, (label, answer.status_code)
    assert answers["NUL and a lone surrogate in the reason"].status_code == 409
    assert answers["20 MB"].status_code == 413
    assert state_of(db_session, tenant) == BillingState.ACTIVE
