"""Tokens never reach the logs whole: sign-in, reset and invitation links and onboarding pages
(in the path, in a ``resume=`` query, or in a Referer) are logged with the token or signup id
cut to its first four characters, by the development server (``make run``) and by gunicorn
(production), each tested through the server's own request log. Behind TRUST_PROXY the logged
address is the client's."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from werkzeug.serving import make_server

from devstack.redis import free_port
from web.access_log import mask

from support import set_public_url

ROOT = Path(__file__).resolve().parents[2]
CLIENT = "203.0.113.77"


def token_requests(token: str) -> list[tuple[str, dict]]:
    """(path, headers) of every kind of address that carries a token."""
    return [
        (f"/signin/{token}", {}),
        (f"/password/reset/{token}", {}),
        (f"/invites/{token}", {}),
        (f"/onboarding/{token}", {}),
        (f"/onboarding/{token}/status", {}),
        (f"/signup?plan=starter&interval=month&resume={token}", {}),
        (f"/sign%69n/{token}", {}),  # routes like /signin/: the log must not be fooled
        ("/portal/", {"Referer": f"http://127.0.0.1/onboarding/{token}?session_id=cs_test_1"}),
    ]


def visit(base_url: str, token: str) -> None:
    with httpx.Client(base_url=base_url, trust_env=False, timeout=30) as browser:
        for path, headers in token_requests(token):
            response = browser.get(path, headers={"X-Forwarded-For": CLIENT, **headers})
            assert response.status_code < 500, (path, response.status_code)


def assert_masked(log: str, token: str, requests: int) -> None:
    assert log.strip(), "nothing was logged"
    assert token not in log
    assert token[4:12] not in log  # not even a good part of it
    assert log.count(token[:4] + "…") >= requests, log


@pytest.fixture
def development_server(make_app, redis):
    """The app behind one proxy on werkzeug's server, which ``make run`` uses (flask run)."""
    live = make_app(TRUST_PROXY=1)
    server = make_server("127.0.0.1", 0, live, threaded=True)
    set_public_url(live, f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield live
    server.shutdown()
    thread.join()


def test_the_development_server_logs_tokens_masked_and_the_client_address(
        development_server, caplog):
    token = secrets.token_urlsafe(32)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        visit(development_server.config["PUBLIC_URL"], token)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    requests = [line for line in lines if "GET /" in line]
    assert len(requests) == len(token_requests(token)), lines
    assert_masked("\n".join(lines), token, requests=len(requests) - 1)  # the Referer is not logged
    assert all(line.startswith(CLIENT + " ") for line in requests), requests


def test_an_error_report_names_the_path_with_the_token_masked(make_app, redis, caplog):
    failing = make_app()
    failing.config["PUBLIC_URL"] = "http://localhost"

    def boom(token):
        raise RuntimeError("a bug")

    failing.add_url_rule("/signin/<token>/_test/boom", "boom", boom)
    token = secrets.token_urlsafe(32)
    with caplog.at_level(logging.ERROR, logger=failing.logger.name):
        assert failing.test_client().get(f"/signin/{token}/_test/boom").status_code == 500
    reports = [r.getMessage() for r in caplog.records if "unhandled error" in r.getMessage()]
    assert reports and all(token not in report and token[:4] + "…" in report for report in reports)


def test_every_route_that_takes_a_token_is_masked(app):
    """A new route with a token (or a signup id) in its path must be added to
    web.access_log.TOKEN_PATHS."""
    token = secrets.token_urlsafe(32)
    unmasked = []
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        for rule in app.url_map.iter_rules():
            names = [name for name in rule.arguments if "token" in name or name == "signup_id"]
            if not names:
                continue
            values = {name: token if name in names else "1" for name in rule.arguments}
            path = adapter.build(rule.endpoint, values, method=next(iter(rule.methods)))
            if token in mask(f"GET {path} HTTP/1.1"):
                unmasked.append(rule.rule)
    assert not unmasked, unmasked


def environment(base_config: dict, port: int) -> dict:
    env = {name: ",".join(value) if isinstance(value, list) else str(value)
           for name, value in base_config.items()}
    return {**os.environ, **env, "TRUST_PROXY": "1", "PUBLIC_URL": f"http://127.0.0.1:{port}"}


def test_gunicorn_logs_tokens_masked_and_the_client_address(base_config, redis, tmp_path):
    """``gunicorn web.wsgi:app`` from the project directory reads gunicorn.conf.py, whose
    logger masks the request line, the query and the Referer of the access log."""
    port = free_port()
    access_log = tmp_path / "access.log"
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
               "--access-logfile", str(access_log), "--error-logfile", str(tmp_path / "error.log"),
               "web.wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=environment(base_config, port))  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/livez", timeout=1, trust_env=False).is_success:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, (tmp_path / "error.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        token = secrets.token_urlsafe(32)
        visit(f"http://127.0.0.1:{port}", token)
    finally:
        server.terminate()
        server.wait(30)
    lines = [line for line in access_log.read_text().splitlines() if "/livez" not in line]
    assert len(lines) == len(token_requests(token)), lines
    assert_masked("\n".join(lines), token, requests=len(lines))  # the Referer is logged too
    assert all(line.startswith(CLIENT + " ") for line in lines), lines
