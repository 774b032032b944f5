"""HTTPS at the edge, end to end: the real Caddy running ``deploy/Caddyfile`` in front of the
app. A tenant's verified domain gets a certificate (from Caddy's local CA here, from Let's
Encrypt in production) and the tenant's site; a name the platform does not serve gets no
certificate at all; a suspended tenant's domain shows its status page over HTTPS; plain HTTP
is sent to HTTPS; HSTS is sent for the platform's own names only.

The fixtures (``edge``, ``make_tenant``) are in tests/edge/conftest.py.
"""

from __future__ import annotations

import ssl
import uuid

import httpx
import pytest

HSTS = "max-age=63072000; includeSubDomains"


def unique_name(label: str) -> str:
    """A domain no other test uses (Caddy keeps the certificates it got in memory)."""
    return f"{label}-{uuid.uuid4().hex[:8]}.bakery.test"


def names_in(certificate: dict) -> set[str]:
    return {value for kind, value in certificate.get("subjectAltName", ()) if kind == "DNS"}


def issuer_of(certificate: dict) -> str:
    return " ".join(value for part in certificate["issuer"] for _key, value in part)


def test_a_verified_domain_gets_a_certificate_and_the_tenants_site(edge, make_tenant):
    shop = unique_name("shop")
    make_tenant("Corner Bakery Edge", {shop: "verified"})

    certificate = edge.certificate(shop)
    assert names_in(certificate) == {shop}
    assert "Caddy Local Authority" in issuer_of(certificate)
    assert edge.requests.asks(shop) == [200], edge.caddy_log()

    page = edge.get(shop)
    assert page.status_code == 200, page.text[:500]
    assert "Corner Bakery Edge" in page.text
    assert page.headers.get("Content-Encoding") in ("gzip", "zstd")  # compressed at the edge
    # The customer's domain is theirs: no HSTS from the platform, although the app sends one.
    assert "Strict-Transport-Security" not in page.headers
    # The app heard from Caddy who the client is and that the request came over HTTPS.
    served = [seen for seen in edge.requests.seen if seen["host"] == shop and seen["path"] == "/"]
    assert served and served[-1]["forwarded_for"] == "127.0.0.1"
    assert served[-1]["forwarded_proto"] == "https"


@pytest.mark.parametrize("status", ["pending", "misconfigured", None])
def test_a_name_the_platform_does_not_serve_gets_no_certificate(edge, make_tenant, status):
    """An unproven claim (or no claim at all) never gets a certificate: the handshake fails."""
    name = unique_name("claimed")
    make_tenant("Not Yet Bakery", {name: status} if status else {})

    with pytest.raises(ssl.SSLError):
        edge.certificate(name)
    with pytest.raises(httpx.ConnectError):
        edge.get(name)
    answers = edge.requests.asks(name)
    assert answers and all(400 <= answer < 500 for answer in answers), (answers, edge.caddy_log())


def test_a_suspended_tenants_domain_shows_its_status_page_over_https(edge, make_tenant):
    shop = unique_name("paused")
    make_tenant("Paused Bakery Edge", {shop: "verified"}, suspended=True)

    page = edge.get(shop, "/menu")
    assert page.status_code == 503, page.text[:500]
    assert "temporarily unavailable" in page.text
    assert "Paused Bakery Edge" not in page.text
    assert names_in(edge.certificate(shop)) == {shop}


def test_the_platforms_own_names_are_served_with_hsts(edge, make_tenant):
    tenant = make_tenant("Subdomain Bakery Edge", {})
    site = f"{tenant.subdomain}.{edge.platform}"

    page = edge.get(site)
    assert page.status_code == 200, page.text[:500]
    assert "Subdomain Bakery Edge" in page.text
    assert page.headers.get_list("Strict-Transport-Security") == [HSTS]

    pricing = edge.get(edge.platform, "/pricing")
    assert pricing.status_code == 200, pricing.text[:500]
    assert pricing.headers.get_list("Strict-Transport-Security") == [HSTS]


@pytest.mark.parametrize("kind", ["platform", "custom"])
def test_plain_http_is_redirected_to_https(edge, kind):
    name = f"www.{edge.platform}" if kind == "platform" else "shop.bakery.test"
    response = edge.get_plain(name, "/menu/bread?size=large")
    assert response.status_code in (301, 308)
    # Caddy leaves out its own HTTPS port: in production 443 (or a port forwarded to it).
    assert response.headers["Location"] == f"https://{name}/menu/bread?size=large"
