"""Hostile and malformed requests get a clear 4xx, never a 500: oversized bodies, malformed
multipart, JSON on form routes, invalid UTF-8, huge query strings, NUL bytes, header
injection through ``next``, odd upload names, out-of-range ids; and the webhook signature
cases tests/billing/test_webhook_intake.py does not cover."""

from __future__ import annotations

import io
import json
import re
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from billing.signatures import sign
from db.models import MediaFile, Page, Signup, StripeEvent
from tenants.api_keys import create_key

import factories
from security_support import (
    FORM_EXPIRED,
    STATE_CHANGING,
    answer,
    below_500,
    cheap_hashing,
    is_4xx,
    png,
    title,
)
from support import WEBHOOK_SECRET, csrf_token, post_event, stripe_event

MB = 1024 * 1024


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


# Oversized bodies

def test_a_20_mb_post_is_refused_with_413_and_stores_nothing(client, db_session):
    body = b"company=" + b"x" * (20 * MB)
    signups, events = count(db_session, Signup), count(db_session, StripeEvent)
    form = client.post("/signup?plan=starter", data=body,
                       content_type="application/x-www-form-urlencoded")
    assert form.status_code == 413 and title(form).startswith("Too large")
    webhook = client.post("/webhooks/stripe", data=b"{" + b" " * (20 * MB) + b"}",
                          content_type="application/json",
                          headers={"Stripe-Signature": sign("{}", WEBHOOK_SECRET)})
    assert webhook.status_code == 413 and webhook.is_json
    assert "larger than" in webhook.get_json()["error"]["message"]
    assert (count(db_session, Signup), count(db_session, StripeEvent)) == (signups, events)


@pytest.mark.parametrize("path,content_type", [
    ("/signup?plan=starter", "application/x-www-form-urlencoded"),
    ("/portal/media/upload", "multipart/form-data; boundary=xyz"),
    ("/webhooks/stripe", "application/json"),
])
def test_a_huge_declared_length_is_refused_before_the_body_arrives(live_app, path, content_type):
    """Over real HTTP: the headers claim a terabyte, a few bytes follow; the answer comes
    without waiting for (or reading) the body: the body never comes, so a server waiting for it
    would leave recv() to time out."""
    port = int(live_app.config["PUBLIC_URL"].rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           f"Content-Type: {content_type}\r\nContent-Length: {10**12}\r\n\r\n"
                           "--xyz\r\n".encode())
        reply = connection.recv(65536)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:100]


# Malformed multipart and uploads

@pytest.fixture
def media_root(app, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "media"
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(root))
    return root


MALFORMED_MULTIPART = {
    "truncated": ("multipart/form-data; boundary=xyz",
                  b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'),
    "no boundary": ("multipart/form-data", b"--xyz\r\n\r\nstuff\r\n--xyz--\r\n"),
    "wrong boundary": ("multipart/form-data; boundary=abc",
                       b'--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n--xyz--\r\n'),
    "part without a name": ("multipart/form-data; boundary=xyz",
                            b"--xyz\r\nContent-Disposition: form-data\r\n\r\nx\r\n--xyz--\r\n"),
    "no headers in a part": ("multipart/form-data; boundary=xyz", b"--xyz\r\n\r\nx\r\n--xyz--\r\n"),
    "garbage": ("multipart/form-data; boundary=xyz", bytes(range(256)) * 64),
    "empty": ("multipart/form-data; boundary=xyz", b""),
}


def test_malformed_multipart_is_a_clear_4xx(owner_client, db_session, media_root):
    token = csrf_token(owner_client, "/portal/media")
    failures = []
    for path in ("/portal/media/upload", "/signup?plan=starter", "/login"):
        for label, (content_type, body) in MALFORMED_MULTIPART.items():
            for headers in ({"X-CSRFToken": token}, {}):
                status = answer(owner_client.post, path, data=body, headers=headers,
                                content_type=content_type)
                if not is_4xx(status):
                    failures.append(f"{path} {label} {'with' if headers else 'without'} "
                                    f"X-CSRFToken: {status}")
    assert not failures, "\n".join(failures)
    assert count(db_session, MediaFile) == 0 and not media_root.exists()


def test_an_upload_without_the_file_field_says_so(owner_client, db_session, media_root):
    token = csrf_token(owner_client, "/portal/media")
    for data in ({"csrf_token": token}, {"csrf_token": token, "other": (io.BytesIO(png()), "a.png")},
                 {"csrf_token": token, "file": "not a file, a text field"}):
        response = owner_client.post("/portal/media/upload", data=data,
                                     content_type="multipart/form-data")
        assert response.status_code == 422
        assert "Choose a file to upload." in response.get_data(as_text=True)
    assert count(db_session, MediaFile) == 0 and not media_root.exists()


TRICKY_NAMES = ["..%2F..%2Fx.png", "..%252F..%252Fx.png", "..\\..\\x.png", "/etc/x.png",
                "C:\\Windows\\x.png", "x.exe\x00.png", ".png", "....//....//x.png",
                'we"ird; filename="evil.exe".png', "\u202egnp.exe.png", "a\tb\x7fc.png"]


def test_upload_names_never_reach_the_filesystem_or_the_headers(owner_client, db_session,
                                                                media_root):
    """Each tricky name is either refused (422) or kept for display only: the file lands in
    the tenant's folder under a random name, and the name cannot break the served headers."""
    token = csrf_token(owner_client, "/portal/media")
    answers = {}
    for name in TRICKY_NAMES:
        response = owner_client.post("/portal/media/upload", content_type="multipart/form-data",
                                     data={"csrf_token": token, "file": (io.BytesIO(png()), name)})
        answers[name] = response.status_code
    assert set(answers.values()) <= {303, 422}, answers
    assert answers["..%2F..%2Fx.png"] == 303
    tenant_folder = media_root / str(owner_client.tenant.id)
    stored = [path for path in media_root.rglob("*") if path.is_file()]
    assert len(stored) == list(answers.values()).count(303)
    assert all(path.parent == tenant_folder and re.fullmatch(r"[0-9a-f]{32}\.png", path.name)
               for path in stored), stored
    rows = db_session.scalars(select(MediaFile).where(
        MediaFile.tenant_id == owner_client.tenant.id)).all()
    assert "..%2F..%2Fx.png" in [row.filename for row in rows]  # shown as typed, harmless
    for row in rows:
        assert "/" not in row.filename and "\\" not in row.filename
        assert not re.search(r"[\x00-\x1f\x7f]", row.filename), repr(row.filename)
        with owner_client.get(f"/portal/media/{row.id}/file") as served:
            assert served.status_code == 200 and served.headers["Content-Type"] == "image/png"
            disposition = served.headers["Content-Disposition"]
            assert disposition.startswith("inline;") and disposition.count("filename") <= 2
            assert not re.search(r"[\r\n]", disposition)


# JSON bodies on form routes

def form_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.methods & STATE_CHANGING and rule.endpoint not in (
                "webhooks.stripe_webhook", "webhooks.stripe_connect_webhook", "auth.logout") \
                and not rule.rule.startswith("/api/"):
            yield rule


def url_with(rule, values: dict) -> str:
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<[^>]*\b{name}>", str(values.get(name, "0" * 43)), url)
    return url + ("?plan=starter" if rule.endpoint == "pricing.signup" else "")


JSON_BODIES = {"a list": [1, 2], "a string": "text",
               "numbers for fields": {"title": 5, "name": 5, "email": 5, "password": 5,
                                      "slug": 5, "role": 5, "domain": 5, "company": 5},
               "lists and objects for fields": {"title": {"a": 1}, "email": ["a@b.example", 2],
                                                "password": [], "name": True}}


def test_a_json_body_on_a_form_route_is_a_clear_4xx(app, db_session, pro_owner):
    """Flask-WTF reads a JSON body as the form's data. With a valid X-CSRFToken header, JSON
    that is not an object of strings must be refused as invalid input, not crash."""
    page = db_session.scalar(select(Page).where(Page.tenant_id == pro_owner.tenant.id))
    values = {"page_id": page.id, "index": 0, "direction": "down"}
    token = csrf_token(pro_owner, "/portal/")
    failures = []
    for rule in form_routes(app):
        url = url_with(rule, values)
        for label, body in JSON_BODIES.items():
            status = answer(pro_owner.post, url, data=json.dumps(body),
                            content_type="application/json", headers={"X-CSRFToken": token})
            if not below_500(status):
                failures.append(f"{url} with {label}: {status}")
    assert not failures, "\n".join(failures)


# Invalid UTF-8, huge query strings, NUL bytes

def test_invalid_utf8_in_query_strings_paths_and_forms_is_never_a_500(app, db_session, owner_client):
    tenant = owner_client.tenant
    _row, key = create_key(db_session, tenant.id, "k")
    db_session.commit()
    site = {"Host": f"{tenant.subdomain}.example.test"}
    bearer = {"Authorization": f"Bearer {key}"}
    token = csrf_token(owner_client, "/portal/")
    failures = []

    def check(label, path, query="", raw=False, headers=bearer, body=None):
        """Percent-encoded bytes through the URL; raw bytes through the WSGI environ, as a
        server hands over a path (paths only: raw query strings are the next test)."""
        if body is not None:
            status = answer(owner_client.post, path, data=body, headers={"X-CSRFToken": token},
                            content_type="application/x-www-form-urlencoded")
        elif raw:
            status = answer(owner_client.get, "/", headers=headers,
                            environ_overrides={"PATH_INFO": path, "QUERY_STRING": ""})
        else:
            status = answer(owner_client.get, f"{path}?{query}", headers=headers)
        if not below_500(status):
            failures.append(f"{label}: {status}")

    tokens = ("/onboarding/{}", "/onboarding/{}/status", "/invites/{}", "/signin/{}",
              "/password/reset/{}", "/api/v1/pages/{}")
    for bad in ("\xff\xfe", "\xc3\x28"):  # raw bytes in paths
        for path in tokens:
            check(f"GET raw {path.format(bad)!r}", path.format(bad), raw=True)
        check(f"site raw /{bad!r}", "/" + bad, raw=True, headers=site)
    for bad in ("%FF%FE", "%C3%28", "%ED%A0%80"):
        query = f"plan={bad}&next={bad}&resume={bad}&interval={bad}"
        for path in ("/pricing", "/signup", "/login", "/portal/pages", "/password/reset",
                     "/api/v1/pages"):
            check(f"GET {path}?{query}", path, query)
        check(f"site ?{query}", "/", query, headers=site)
        for path in tokens:
            check(f"GET {path.format(bad)}", path.format(bad))
        check(f"site /{bad}", "/" + bad, headers=site)
    for bad in (b"%FF%FE", b"\xff\xfe", b"%C3%28", b"\xc3\x28"):
        body = b"title=" + bad + b"&slug=a" + bad + b"&email=" + bad + b"&name=" + bad
        for path in ("/portal/pages/new", "/portal/team/invites", "/portal/api-keys", "/login",
                     "/signup?plan=starter", "/password/reset"):
            check(f"POST {path} {bad!r}", path, body=body)
    assert not failures, "\n".join(failures)


def test_raw_non_utf8_bytes_in_a_query_string_are_a_400(app, client):
    """PEP 3333 lets a server hand the query string over as raw bytes (latin-1 in the environ).
    Defence in depth: gunicorn 27 already refuses such a request line with its own 400, and the
    Werkzeug dev server answers 404; a server that passes them on reaches the app."""
    failures = {}
    for raw in ("plan=\xff\xfe", "next=\xc3\x28", "q=%FF\xff"):
        for path in ("/pricing", "/login", "/healthz", "/api/v1/pages"):
            status = answer(client.get, "/", environ_overrides={"PATH_INFO": path,
                                                                "QUERY_STRING": raw})
            if not is_4xx(status):
                failures[f"{path}?{raw!r}"] = status
    assert not failures, failures


def test_a_huge_query_string_is_never_a_500(app, db_session, owner_client):
    huge = "a" * (128 * 1024)
    query = {"plan": huge, "next": "/" + huge, "resume": huge, "x": huge}
    answers = {path: answer(owner_client.get, path, query_string=query)
               for path in ("/pricing", "/signup", "/login", "/portal/pages", "/password/reset")}
    bad = {path: status for path, status in answers.items() if not below_500(status)}
    assert not bad, bad


def test_nul_bytes_in_paths_are_refused_clearly(app, db_session, owner_client):
    """The app refuses NUL in query strings and form fields (web/security.py) because
    PostgreSQL cannot store it; a percent-encoded NUL in the path reaches the database too."""
    tenant = owner_client.tenant
    _row, key = create_key(db_session, tenant.id, "k")
    db_session.commit()
    site = {"Host": f"{tenant.subdomain}.example.test"}
    token = csrf_token(owner_client, "/portal/")
    requests = {
        "query string": lambda: owner_client.get("/pricing?plan=a%00b"),
        "form field": lambda: owner_client.post("/portal/pages/new", data={
            "title": "a\x00b", "slug": "nul", "csrf_token": token}),
        "tenant site path": lambda: owner_client.get("/a%00b", headers=site),
        "tenant site blog path": lambda: owner_client.get("/blog/a%00b", headers=site),
        "tenant site shop path": lambda: owner_client.get("/shop/a%00b", headers=site),
        "tenant site media path": lambda: owner_client.get("/media/a%00b.png", headers=site),
        "onboarding token": lambda: owner_client.get("/onboarding/a%00b"),
        "invite token": lambda: owner_client.get("/invites/a%00b"),
        "reset token": lambda: owner_client.post("/password/reset/a%00b", data={
            "password": "a fine passphrase here", "csrf_token": token}),
        "API page id": lambda: owner_client.get("/api/v1/pages/1%00",
                                                headers={"Authorization": f"Bearer {key}"}),
    }
    answers = {label: answer(request) for label, request in requests.items()}
    bad = {label: status for label, status in answers.items() if not below_500(status)}
    assert not bad, bad


def test_nul_bytes_in_the_api_key_are_refused_clearly(app, db_session, client):
    """Defence in depth: gunicorn 27 refuses control characters in header values itself; a
    server that passes them on reaches the API key lookup in PostgreSQL."""
    tenant = factories.tenant(app, db_session)
    _row, key = create_key(db_session, tenant.id, "k")
    db_session.commit()
    prefix = key.split("_")[1]
    answers = {header: answer(client.get, "/api/v1/pages", headers={"Authorization": header})
               for header in ("Bearer cz_a\x00b_secret", f"Bearer cz_{prefix}_a\x00b", "Bearer \x00")}
    bad = {header: status for header, status in answers.items() if status != 401}
    assert not bad, bad


# Header injection through next

INJECTIONS = ["/portal/\r\nSet-Cookie: evil=1", "/portal/\nX-Injected: 1", "/portal/\rX-Injected: 1",
              "/portal/%0d%0aX-Injected:%201", "/portal/\u010d\u010aX-Injected: 1",
              "/portal/\x0bX-Injected: 1", "/portal/\u2028X-Injected: 1"]


def test_header_injection_through_next_is_harmless(app, db_session, client, monkeypatch):
    """CR/LF in ``next`` (sent percent-encoded, as any server passes it on) must neither
    reach the Location header nor crash the login: a 302 to a page of this site."""
    cheap_hashing(monkeypatch)
    tenant = factories.tenant(app, db_session)
    problems = {}
    for target in INJECTIONS:
        response = client.post("/login", query_string={"next": target}, data={
            "email": tenant.owner_email, "password": factories.PASSWORD,
            "csrf_token": csrf_token(client, "/login")})
        location = response.headers.get("Location", "")
        if response.status_code != 302:
            problems[target] = f"{response.status_code} {title(response)!r}"
        elif re.search(r"[\x00-\x1f\x7f]", location) or not location.startswith("/portal/") \
                or "X-Injected" in response.headers \
                or "evil" in str(response.headers.getlist("Set-Cookie")):
            problems[target] = f"Location {location!r}"
    assert not problems, problems


# Ids out of range

def test_ids_out_of_range_are_404_never_500(app, db_session, pro_owner):
    token = csrf_token(pro_owner, "/portal/")
    _row, key = create_key(db_session, pro_owner.tenant.id, "k")
    db_session.commit()
    failures = []
    for rule in app.url_map.iter_rules():
        # (the language switch's code is not an id: an unknown one is ignored, see i18n)
        names = set(rule.arguments) - {"token", "filename", "index", "direction", "code"}
        if not names:
            continue
        for value in (2**31, 10**30, 0):
            values = {name: value for name in names} | {"index": 0, "direction": "up"}
            url = re.sub(r"<[^>]*\b(\w+)>", lambda m, v=values: str(v[m.group(1)]), rule.rule)
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = (pro_owner.get(url, headers={"Authorization": f"Bearer {key}"})
                            if method == "GET" else pro_owner.post(url, data={"csrf_token": token}))
                # The back office is for staff: anyone else is sent to its sign-in first. The
                # platform API refuses a tenant's key (or session) before it looks at an id.
                expected = {302, 404} if url.startswith("/admin/") else \
                    {401} if url.startswith("/api/platform/") else {404}
                if response.status_code not in expected:
                    failures.append(f"{method} {url}: {response.status_code}")
    for odd in ("1e5", "0x10", "1.0", "١", "+1", "--1", "9" * 400):
        response = pro_owner.get(f"/api/v1/pages/{odd}", headers={"Authorization": f"Bearer {key}"})
        if response.status_code != 404:
            failures.append(f"GET /api/v1/pages/{odd}: {response.status_code}")
    assert not failures, "\n".join(failures)


# Webhook signatures (the cases tests/billing/test_webhook_intake.py does not cover)

def event_payload() -> str:
    return json.dumps(stripe_event("invoice.created", {"id": "in_sec", "object": "invoice",
                                                       "customer": "cus_sec"}))


def deliver(client, payload: str, header: str):
    return client.post("/webhooks/stripe", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": header})


def test_a_valid_signature_over_another_body_is_refused(client, db_session):
    signed, sent = event_payload(), event_payload()
    response = deliver(client, sent, sign(signed, WEBHOOK_SECRET))
    assert response.status_code == 400 and count(db_session, StripeEvent) == 0
    # The same body with one byte changed, or a space added.
    header = sign(signed, WEBHOOK_SECRET)
    for tampered in (signed.replace("in_sec", "in_seX"), signed + " ", " " + signed):
        assert deliver(client, tampered, header).status_code == 400
    assert count(db_session, StripeEvent) == 0


def test_a_header_with_several_v1_signatures_is_accepted_when_one_matches(client, db_session):
    payload = event_payload()
    good = sign(payload, WEBHOOK_SECRET)
    timestamp, v1 = good.split(",")
    wrong = sign(payload, "whsec_someone_else").split(",")[1]
    for header in (f"{timestamp},{wrong},{v1}", f"{timestamp},{v1},{wrong}",
                   f"{timestamp},{wrong},{v1},v0=abc"):
        assert deliver(client, payload, header).status_code == 200, header
    assert count(db_session, StripeEvent) == 1
    # Only wrong or non-v1 signatures: refused.
    for header in (f"{timestamp},{wrong},{wrong}", f"{timestamp},v0={v1.split('=')[1]}",
                   f"{timestamp}", f"{timestamp},v2={v1.split('=')[1]}"):
        assert deliver(client, event_payload(), header).status_code == 400, header


def test_a_signature_moved_to_a_fresh_timestamp_is_refused(client, db_session):
    payload = event_payload()
    old = sign(payload, WEBHOOK_SECRET, int(time.time()) - 600)
    v1 = old.split(",")[1]
    assert deliver(client, payload, f"t={int(time.time())},{v1}").status_code == 400
    assert deliver(client, payload, f"t={int(time.time())},{old}").status_code == 400
    assert count(db_session, StripeEvent) == 0


def test_a_captured_delivery_replayed_later_is_refused(client, db_session):
    event = stripe_event("invoice.created", {"id": "in_replay", "object": "invoice",
                                             "customer": "cus_replay"})
    payload = json.dumps(event)
    header = sign(payload, WEBHOOK_SECRET)
    assert deliver(client, payload, header).status_code == 200
    with freeze_time(datetime.now(UTC) + timedelta(minutes=10)):
        replay = deliver(client, payload, header)
    assert replay.status_code == 400 and "tolerance" in replay.get_json()["error"]
    assert count(db_session, StripeEvent) == 1
    # A stale event id re-sent by Stripe itself (freshly signed) is a no-op duplicate.
    assert post_event(client, event).get_json()["duplicate"] is True


def test_the_webhook_answers_errors_in_json_not_with_the_form_page(client):
    """The webhook answers machines: JSON errors, never the HTML "Form expired" page."""
    response = client.post("/webhooks/stripe", data="{}", content_type="application/json")
    assert response.status_code == 400 and response.is_json
    assert FORM_EXPIRED not in response.get_data(as_text=True)
