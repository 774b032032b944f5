"""Open redirects through ``next=`` at login, and the security headers on every kind of answer:
HTML pages, JSON, error pages; HSTS behind HTTPS only."""

from __future__ import annotations

import io
import re
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from db.models import MediaFile
from tenants.api_keys import create_key

import factories
from security_support import HTTPS, cheap_hashing
from support import csrf_token

# Decoded values: what the app reads from request.args["next"].
HOSTILE_NEXT = [
    "https://evil.example/", "//evil.example", "///evil.example", "////evil.example",
    "/\\evil.example", "\\\\evil.example", "\\/evil.example", "/\\/evil.example",
    "https:evil.example", "https:/evil.example", "http:\\\\evil.example",
    "/%2F%2Fevil.example", "/%5C%5Cevil.example", "%2F%2Fevil.example",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "\t//evil.example", "\n//evil.example", "\r\n//evil.example", " //evil.example",
    "/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "\x0c//evil.example",
    "//evil.example@localhost/", "/.evil.example", "//localhost@evil.example",
    "https://localhost.evil.example/", "//evil%2Eexample",
]
C0_AND_SPACE = "".join(chr(n) for n in range(0x21))


def where_a_browser_goes(location: str) -> tuple[str, str | None]:
    """(scheme, host) a browser reaches from this Location on http://localhost/login: it
    strips C0 controls and spaces around the URL, drops tabs and newlines inside, and reads
    backslashes as slashes in http(s) URLs."""
    cleaned = re.sub(r"[\t\n\r]", "", location.strip(C0_AND_SPACE)).replace("\\", "/")
    target = urlsplit(urljoin("http://localhost/login", cleaned))
    return target.scheme.lower(), target.hostname


def login_with_next(client, email, target):
    token = csrf_token(client, "/login")
    return client.post("/login", query_string={"next": target},
                       data={"email": email, "password": factories.PASSWORD, "csrf_token": token})


def test_next_never_leads_to_another_site(app, db_session, client, monkeypatch):
    cheap_hashing(monkeypatch)
    tenant = factories.tenant(app, db_session)
    escaped = []
    for target in HOSTILE_NEXT:
        response = login_with_next(client, tenant.owner_email, target)
        location = response.headers.get("Location", "")
        if response.status_code != 302 or where_a_browser_goes(location) != ("http", "localhost"):
            escaped.append(f"{target!r} -> {response.status_code} {location!r}")
    assert not escaped, "\n".join(escaped)


def test_next_to_this_site_is_kept(app, db_session, client):
    tenant = factories.tenant(app, db_session)
    for target in ("/portal/pages", "/portal/posts?page=2", "/portal/#media"):
        assert login_with_next(client, tenant.owner_email, target).headers["Location"] == target


# Security headers

CSP_REQUIRED = {"default-src": "'self'", "frame-ancestors": "'none'", "object-src": "'none'",
                "base-uri": "'self'"}
SAFE_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin",
                          "strict-origin-when-cross-origin"}


def header_problems(response, https: bool) -> list[str]:
    headers, problems = response.headers, []
    csp = headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    for name, value in CSP_REQUIRED.items():
        if directives.get(name) != [value]:
            problems.append(f"CSP {name} is {directives.get(name)}")
    scripts = directives.get("script-src", directives.get("default-src", []))
    if set(scripts) & {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"}:
        problems.append(f"CSP script-src allows {scripts}")
    if headers.get("X-Frame-Options", "").upper() != "DENY":
        problems.append(f"X-Frame-Options {headers.get('X-Frame-Options')!r}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options {headers.get('X-Content-Type-Options')!r}")
    if headers.get("Referrer-Policy") not in SAFE_REFERRER_POLICIES:
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')!r}")
    hsts = headers.get("Strict-Transport-Security")
    if https:
        max_age = re.search(r"max-age=(\d+)", hsts or "")
        if not max_age or int(max_age.group(1)) < 31536000:
            problems.append(f"HSTS {hsts!r} (want max-age of a year or more)")
    elif hsts:
        problems.append(f"HSTS on plain HTTP: {hsts!r}")
    return problems


@pytest.fixture
def boom_app(make_app):
    """An app instance with a route that fails, for the 500 page (and its JSON form)."""
    made = make_app()

    def boom():
        raise RuntimeError("a bug")

    made.add_url_rule("/_test/boom", "boom", boom)
    made.add_url_rule("/webhooks/_test/boom", "boom_json", boom)
    return made


def answers(app, db_session, browser, boom_app, https=False):
    """One answer of every kind: HTML pages, JSON, files, error pages."""
    tenant = factories.tenant(app, db_session, plan="professional")
    _row, key = create_key(db_session, tenant.id, "k")
    media = MediaFile(tenant_id=tenant.id, filename="a.pdf", storage_name="f" * 32 + ".pdf",
                      content_type="application/pdf", size_bytes=9)
    db_session.add(media)
    db_session.commit()
    site = {"Host": f"{tenant.subdomain}.example.test"}
    bearer = {"Authorization": f"Bearer {key}"}
    found = {
        "HTML pricing": browser.get("/pricing"),
        "HTML login": browser.get("/login"),
        "HTML onboarding": browser.get(f"/onboarding/{tenant.signup_id}"),
        "HTML tenant site": browser.get("/", headers=site),
        "JSON health": browser.get("/healthz"),
        "JSON api": browser.get("/api/v1/pages", headers=bearer),
        "JSON onboarding status": browser.get(f"/onboarding/{tenant.signup_id}/status"),
        "error 404 page": browser.get("/no-such-page"),
        "error 405 page": browser.get("/logout"),
        "error 400 form expired": browser.post("/login", data={"email": "a@b.example"}),
        "error 413 page": browser.post("/signup?plan=starter", data={"x": "y" * (12 * 2**20)}),
        "error 401 api": browser.get("/api/v1/pages"),
        "error 404 api": browser.get("/api/v1/pages/999999", headers=bearer),
        "error 400 webhook": browser.post("/webhooks/stripe", data="{}"),
        "error 404 tenant site": browser.get("/no-such-page", headers=site),
    }
    boom = boom_app.test_client()
    if https:
        boom.environ_base.update(HTTPS)
    found["error 500 page"] = boom.get("/_test/boom")
    found["error 500 json"] = boom.get("/webhooks/_test/boom")
    browser.post("/login", data={"email": tenant.owner_email, "password": factories.PASSWORD,
                                 "csrf_token": csrf_token(browser, "/login")})
    found["HTML portal"] = browser.get("/portal/")
    found["error 404 portal media file"] = browser.get(f"/portal/media/{media.id}/file")
    tenant.billing_state = "suspended"
    db_session.commit()
    found["error 503 suspended site"] = browser.get("/", headers=site)
    return found


def test_security_headers_on_every_kind_of_answer(app, db_session, client, boom_app):
    found = answers(app, db_session, client, boom_app)
    assert found["error 500 page"].status_code == found["error 500 json"].status_code == 500
    assert found["error 500 json"].is_json
    assert found["HTML portal"].status_code == 200 and found["JSON api"].status_code == 200
    problems = {label: header_problems(response, https=False)
                for label, response in found.items()}
    bad = {label: found for label, found in problems.items() if found}
    assert not bad, bad


def test_security_headers_and_hsts_behind_https(app, db_session, https_client, boom_app,
                                                production_app):
    found = answers(app, db_session, https_client, boom_app, https=True)
    found.pop("error 500 page")  # boom_app is not behind the proxy: checked below
    found.pop("error 500 json")
    assert found["HTML portal"].status_code == 200
    problems = {label: header_problems(response, https=True) for label, response in found.items()}
    bad = {label: found for label, found in problems.items() if found}
    assert not bad, bad


def test_no_hsts_on_plain_http_even_when_a_client_claims_https(production_app, client):
    # Through the proxy, but the proxy says the client used plain HTTP.
    plain = production_app.test_client().get("/login", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers
    # Without TRUST_PROXY nobody's X-Forwarded-Proto is believed.
    claimed = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in claimed.headers


def test_an_uploaded_file_is_served_with_the_security_headers(owner_client, app, db_session,
                                                              tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path))
    token = csrf_token(owner_client, "/portal/media")
    pdf = b"%PDF-1.4\n<script>alert(1)</script>\n%%EOF"
    owner_client.post("/portal/media/upload", content_type="multipart/form-data",
                      data={"csrf_token": token, "file": (io.BytesIO(pdf), "doc.pdf")})
    row = db_session.scalar(select(MediaFile).where(MediaFile.tenant_id == owner_client.tenant.id))
    with owner_client.get(f"/portal/media/{row.id}/file") as served:
        assert served.status_code == 200 and served.headers["Content-Type"] == "application/pdf"
        assert header_problems(served, https=False) == []
