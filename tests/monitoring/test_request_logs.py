"""One structured line per request and per job: JSON (LOG_FORMAT=json) or readable text, with
the request id that the response carries and that follows the work into its jobs, the tenant
served, and no token or secret."""

from __future__ import annotations

import json
import re
import secrets

import pytest

from monitoring import logs
from worker.cli import AppWorker
from worker.event_dispatch import catch_up
from worker.queues import BILLING, MAIL, MAINTENANCE
from worker.services import services

import factories
from support import csrf_token, post_event, stripe_event


@pytest.fixture
def json_lines(capsys):
    """The structured lines written from here on, parsed; text again afterwards."""
    logs.configure("json", "INFO")
    capsys.readouterr()

    def read() -> list[dict]:
        lines = capsys.readouterr().err.splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    yield read
    logs.configure("text", "INFO")


def request_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == logs.REQUEST_LOGGER]


def job_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == logs.JOB_LOGGER]


def test_a_request_line_has_the_request_id_of_the_response(client, json_lines):
    response = client.get("/pricing?plan=starter", headers={
        "Authorization": "Bearer sk_live_do_not_log", "Cookie": "session=cookie-do-not-log"})
    [line] = request_lines(json_lines())
    assert response.headers["X-Request-ID"] == line["request_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
    assert line["method"] == "GET" and line["status"] == 200
    assert line["path"] == "/pricing?plan=starter"
    assert line["endpoint"].startswith("pricing.")
    assert line["level"] == "INFO" and line["time"] and isinstance(line["duration_ms"], float)
    assert "tenant_id" not in line
    text = json.dumps(line)
    assert "do_not_log" not in text and "do-not-log" not in text
    assert "authorization" not in text.lower() and "cookie" not in text.lower()


def test_a_safe_request_id_is_kept_and_a_malformed_one_replaced(client, json_lines):
    kept = client.get("/livez", headers={"X-Request-ID": "edge-1234.abcd_EF"})
    replaced = client.get("/livez", headers={"X-Request-ID": "bad id\";<script>"})
    too_short = client.get("/livez", headers={"X-Request-ID": "abc"})
    assert kept.headers["X-Request-ID"] == "edge-1234.abcd_EF"
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])
    assert re.fullmatch(r"[0-9a-f]{32}", too_short.headers["X-Request-ID"])
    ids = [line["request_id"] for line in request_lines(json_lines())]
    assert ids == [kept.headers["X-Request-ID"], replaced.headers["X-Request-ID"],
                   too_short.headers["X-Request-ID"]]


def test_a_tenant_site_request_names_its_tenant(app, client, db_session, json_lines):
    tenant = factories.tenant(app, db_session)
    response = client.get("/", base_url=f"http://{tenant.subdomain}.example.test")
    assert response.status_code == 200
    [line] = request_lines(json_lines())
    assert line["tenant_id"] == tenant.id


def test_a_sign_in_link_is_logged_masked(client, json_lines):
    token = secrets.token_urlsafe(32)
    client.get(f"/signin/{token}")
    client.get(f"/signup?plan=starter&interval=month&resume={token}")
    lines = request_lines(json_lines())
    assert [line["path"].split("?")[0] for line in lines] == [f"/signin/{token[:4]}…", "/signup"]
    assert f"resume={token[:4]}…" in lines[1]["path"]
    assert token not in json.dumps(lines)


def test_the_text_format_is_readable(client, capsys):
    logs.configure("text", "INFO")
    capsys.readouterr()
    response = client.get("/livez")
    [line] = [line for line in capsys.readouterr().err.splitlines() if logs.REQUEST_LOGGER in line]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 INFO contyzr\.request "
                    r"GET /livez 200 ", line), line
    assert f"request_id={response.headers['X-Request-ID']}" in line
    assert "duration_ms=" in line and "endpoint=health.livez" in line


def run_worker(app, *queue_names: str) -> None:
    found = services(app).queues
    with app.app_context():
        AppWorker([found[name] for name in queue_names], connection=found.connection).work(
            burst=True)


def test_a_job_enqueued_by_a_request_logs_its_request_id(app, client, db_session, json_lines):
    owner = factories.tenant(app, db_session).owner_email
    response = client.post("/password/reset", data={
        "email": owner, "csrf_token": csrf_token(client, "/password/reset")})
    assert response.status_code == 302, response.get_data(as_text=True)
    run_worker(app, MAIL)
    lines = json_lines()
    request_line = request_lines(lines)[-1]
    [job_line] = job_lines(lines)
    assert request_line["request_id"] == response.headers["X-Request-ID"]
    assert request_line["path"] == "/password/reset"
    assert job_line["request_id"] == response.headers["X-Request-ID"]
    assert job_line["queue"] == MAIL and job_line["outcome"] == "ok"
    assert job_line["function"] == "worker.jobs.mail.deliver_mail"
    assert isinstance(job_line["duration_ms"], float)
    assert owner not in json.dumps(lines) and "csrf_token" not in json.dumps(lines)


def test_a_stripe_event_job_logs_its_event(app, client, json_lines):
    """The webhook enqueues nothing itself (the dispatcher does): its job line names the event."""
    event = stripe_event("balance.available", {"object": "balance", "available": []})
    response = post_event(client, event)
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        catch_up()
    run_worker(app, BILLING)
    [job_line] = job_lines(json_lines())
    assert job_line["job_id"] == f"stripe-event-{event['id']}"
    assert job_line["queue"] == BILLING and job_line["outcome"] == "ok"
    assert job_line["function"] == "worker.jobs.billing.process_event"


def enqueue_next():
    services().queues[MAINTENANCE].enqueue(noop)


def noop():
    return None


def test_jobs_enqueued_by_jobs_keep_the_request_id(app, redis, json_lines):
    token = logs.set_request_id("trace-0123456789")
    try:
        services(app).queues[MAINTENANCE].enqueue(enqueue_next)
    finally:
        logs.reset_request_id(token)
    run_worker(app, MAINTENANCE)
    lines = job_lines(json_lines())
    assert [line["function"] for line in lines] == ["test_request_logs.enqueue_next",
                                                    "test_request_logs.noop"]
    assert {line["request_id"] for line in lines} == {"trace-0123456789"}
    assert logs.current_request_id() is None
