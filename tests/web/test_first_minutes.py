"""The first ten minutes: a way to sign in from the storefront, the terms and privacy pages
the signup form links to, and a page editor that never publishes an empty block."""

from __future__ import annotations

import re

import factories


def test_storefront_header_offers_sign_in_to_visitors(client):
    page = client.get("/pricing").get_data(as_text=True)
    header = page.split("</header>")[0]
    assert re.search(r'<a href="/login">\s*Sign in\s*</a>', header)
    assert "Sign out" not in header and "/portal/" not in header


def test_storefront_header_offers_portal_and_sign_out_when_signed_in(owner_client):
    header = owner_client.get("/pricing").get_data(as_text=True).split("</header>")[0]
    assert "Sign in" not in header
    assert 'href="/portal/"' in header and 'action="/logout"' in header and "Sign out" in header


def test_terms_and_privacy_pages_answer_on_the_storefront(client):
    terms = client.get("/terms")
    privacy = client.get("/privacy")
    assert terms.status_code == 200 and "<h1>Terms of service</h1>" in terms.get_data(as_text=True)
    assert privacy.status_code == 200
    assert "<h1>Privacy statement</h1>" in privacy.get_data(as_text=True)


def test_terms_and_privacy_are_not_pages_of_tenant_sites(app, client, db_session):
    tenant = factories.tenant(app, db_session)
    host = {"Host": f"{tenant.subdomain}.example.test"}
    for path in ("/terms", "/privacy"):
        page = client.get(path, headers=host)
        assert page.status_code == 404, path
        assert "Terms of service" not in page.get_data(as_text=True)


def test_signup_terms_checkbox_links_to_terms_and_privacy(client):
    page = client.get("/signup?plan=starter&interval=month").get_data(as_text=True)
    label = re.search(r'<label for="terms">(.*?)</label>', page, re.S)
    assert label, page
    assert 'href="/terms"' in label[1] and 'href="/privacy"' in label[1]
