"""Host names: the app answers only on the host of PUBLIC_URL (storefront and portal) and on
``<label>.<PLATFORM_DOMAIN>`` (tenant sites); the Stripe webhook and the health probes answer on
any valid host. Any other name, and any malformed one (empty labels such as ``.localhost`` or
``a..b``), gets a 400 with a one-line reason and the security headers, never a 500; and no Host
can move the addresses the app hands to Stripe."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from billing.signatures import sign
from db.models import CustomDomain, DomainStatus, Signup
from tenants.domain_routing import CACHE, invalidate

import factories
from security_support import answer
from support import WEBHOOK_SECRET, csrf_token, http, post_event, stripe_event

SECURITY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
                    "Referrer-Policy")
SIGNUP = {"company": "Bakery Blum", "subdomain": "bakery-blum", "email": "ida@blum.example",
          "password": "flour and water at dawn", "template": "corporate", "terms": "y"}
# Paths of every kind: storefront pages, portal, token pages, forms, assets, tenant-site paths.
PATHS = ["/", "/pricing", "/login", "/portal/", "/onboarding/some-token", "/signin/some-token",
         "/static/site.css", "/api/v1/pages", "/no-such-page"]

EMPTY_LABELS = [".localhost", "a..b", "..example.test", "acme..example.test", "localhost..",
                ".", "..", ".example.test", "acme.example.test..", "-acme.example.test",
                "x" * 64 + ".example.test", "localhost:5000:1", "[::1", "local_host"]
NOT_OURS = ["evil.example", "localhost.evil.example", "evil.example:80", "example.test",
            "a.b.example.test", "127.0.0.1", "acme.example.test.evil.example",
            "xn--80ak6aa92e.com", "10.0.0.1:8080"]


def refusal_problems(response) -> list[str]:
    problems = []
    if response.status_code != 400:
        problems.append(f"status {response.status_code}")
    missing = [name for name in SECURITY_HEADERS if name not in response.headers]
    if missing:
        problems.append(f"missing {missing}")
    if response.is_json:
        message = response.get_json()["error"]["message"]
    elif response.mimetype == "text/plain":
        message = response.get_data(as_text=True).strip()
        if "\n" in message:
            problems.append(f"more than one line: {message!r}")
    else:
        message = response.get_data(as_text=True)
    if not re.search(r"does not answer for|not a valid host name", message):
        problems.append(f"no reason given: {message[:200]!r}")
    return problems


@pytest.mark.parametrize("host", EMPTY_LABELS + NOT_OURS)
def test_a_host_that_is_not_ours_is_refused_with_a_reason_and_the_headers(client, host):
    failures = {}
    for path in PATHS:
        try:
            response = client.get(path, headers={"Host": host})
        except Exception as exc:  # noqa: BLE001 - an escape is the 500 a server would send
            failures[path] = f"raised {type(exc).__name__}: {exc}"
            continue
        if problems := refusal_problems(response):
            failures[path] = problems
    assert not failures, failures


@pytest.mark.parametrize("host", [".localhost", "a..b", "evil.example"])
def test_forms_are_refused_on_a_foreign_host_before_anything_is_stored(client, db_session, host):
    token = csrf_token(client, "/signup?plan=starter")
    for path in ("/signup?plan=starter", "/login", "/password/reset"):
        response = client.post(path, data={**SIGNUP, "csrf_token": token},
                               headers={"Host": host})
        assert refusal_problems(response) == [], path
    assert db_session.scalar(select(func.count()).select_from(Signup)) == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(labels=st.lists(st.sampled_from(["", "", "a", "acme", "localhost", "example", "test", "-",
                                        "x-", "0", "127", "xn--p1ai", "www"]),
                       min_size=1, max_size=5),
       port=st.sampled_from(["", ":5000", ":0", ":99999"]),
       path=st.sampled_from(PATHS))
def test_no_generated_host_gets_a_500_or_loses_the_headers(client, labels, port, path):
    assume(any(labels))  # no Host at all: the server's own name is used
    host = ".".join(labels) + port
    status = answer(client.get, path, headers={"Host": host})
    assert isinstance(status, int) and status < 500, (host, status)
    with client.get(path, headers={"Host": host}) as response:  # closed: static files stream
        assert all(name in response.headers for name in SECURITY_HEADERS), host
    name = (host.rsplit(":", 1)[0] if port else host).removesuffix(".")  # 'localhost.' is ours
    ours = name == "localhost" or re.fullmatch(r"(?!-)[a-z0-9-]{1,63}(?<!-)\.example\.test", name)
    if not ours:
        assert response.status_code == 400, (host, response.status_code)


@pytest.mark.parametrize("host", ["localhost", "localhost:5000", "LocalHost", "localhost."])
def test_the_storefront_answers_on_the_host_of_public_url_whatever_the_port(client, host):
    response = client.get("/pricing", headers={"Host": host})
    assert response.status_code == 200 and "Starter" in response.get_data(as_text=True)


def test_tenant_sites_answer_on_their_subdomain_and_only_there(app, db_session, client):
    tenant = factories.tenant(app, db_session)
    site = client.get("/", headers={"Host": f"{tenant.subdomain}.example.test:5000"})
    assert site.status_code == 200
    # A name under the platform domain with no tenant is the platform's 404, with the headers.
    nobody = client.get("/", headers={"Host": "www.example.test"})
    assert nobody.status_code == 404 and "There is no site at www.example.test" in nobody.get_data(
        as_text=True)
    assert all(name in nobody.headers for name in SECURITY_HEADERS)
    # The tenant's subdomain under another domain is not theirs.
    assert client.get("/", headers={"Host": f"{tenant.subdomain}.evil.example"}).status_code == 400


def test_a_verified_custom_domain_is_served_and_an_unverified_one_is_not(app, db_session, client,
                                                                          redis):
    tenant = factories.tenant(app, db_session, plan="professional")
    db_session.add_all([
        CustomDomain(tenant_id=tenant.id, name="shop.bakery.example", status=DomainStatus.VERIFIED),
        CustomDomain(tenant_id=tenant.id, name="claimed.bakery.example")])  # pending
    db_session.commit()
    invalidate(redis)
    try:
        served = client.get("/", headers={"Host": "Shop.Bakery.example:443"})
        assert served.status_code == 200 and tenant.company in served.get_data(as_text=True)
        assert all(name in served.headers for name in SECURITY_HEADERS)
        refused = client.get("/", headers={"Host": "claimed.bakery.example"})
        assert refusal_problems(refused) == []
        assert tenant.company not in refused.get_data(as_text=True)
    finally:
        CACHE.forget()  # the next test's rows are not these


def test_machine_routes_answer_on_any_valid_host(app, client, db_session):
    """Load balancers probe by address; Stripe signs its calls. Neither builds links."""
    for host in ("10.0.0.7:8080", "127.0.0.1", "evil.example"):
        assert client.get("/livez", headers={"Host": host}).status_code == 200
        assert client.get("/healthz", headers={"Host": host}).status_code == 200
    assert post_event(client, stripe_event("customer.created", {"id": "cus_hosts"})).status_code == 200
    payload = json.dumps(stripe_event("customer.created", {"id": "cus_hosts_2"}))
    other_host = client.post("/webhooks/stripe", data=payload, content_type="application/json",
                             headers={"Stripe-Signature": sign(payload, WEBHOOK_SECRET),
                                      "Host": "127.0.0.1"})
    assert other_host.status_code == 200
    # A malformed host is still refused there, as JSON.
    bad = client.get("/healthz", headers={"Host": "a..b"})
    assert bad.status_code == 400 and bad.is_json and refusal_problems(bad) == []


def submit_signup(browser, **headers):
    url = "/signup?plan=starter&interval=month"
    token = csrf_token(browser, url)
    return browser.post(url, data={**SIGNUP, "csrf_token": token}, headers=headers)


def fake_session(stripe_fake, session_id: str) -> dict:
    return http.get(f"{stripe_fake.url}/v1/checkout/sessions/{session_id}",
                    headers={"Authorization": "Bearer sk_test_suite"}).json()


def test_a_signup_sent_to_another_host_never_reaches_stripe(client, db_session):
    response = submit_signup(client, Host="evil.example")
    assert response.status_code == 400 and "evil.example" not in response.headers.get("Location", "")
    assert db_session.scalar(select(func.count()).select_from(Signup)) == 0


def test_x_forwarded_host_cannot_move_checkout_or_the_request(app, db_session, https_client,
                                                               stripe_fake):
    """Behind the proxy (TRUST_PROXY), X-Forwarded-Host is ignored: the host is the one the
    proxy connected to, and Stripe's success and cancel addresses stay on PUBLIC_URL."""
    tenant = factories.tenant(app, db_session)
    elsewhere = {"X-Forwarded-Host": f"{tenant.subdomain}.example.test"}
    page = https_client.get("/pricing", headers=elsewhere)
    assert page.status_code == 200 and "Starter" in page.get_data(as_text=True)

    response = submit_signup(https_client, **{"X-Forwarded-Host": "evil.example"})
    assert response.status_code == 303, response.get_data(as_text=True)
    signup = db_session.scalar(select(Signup).where(Signup.subdomain == "bakery-blum"))
    session = fake_session(stripe_fake, signup.checkout_session_id)
    for address in (session["success_url"], session["cancel_url"]):
        assert urlsplit(address).hostname == "localhost", address
