"""A tenant's site speaks its own language(s): its chrome (stock, buttons, form labels, dates,
prices, status pages) in the site's language whatever the visitor's browser prefers, and on
Enterprise (``multi_language``) its content in each of its languages under their prefix, with
hreflang alternates, a sitemap of every language and the default language as fallback."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from xml.etree import ElementTree

from sqlalchemy import select

from db.models import Page, PageTranslation, Post, Product, ProductTranslation
from db.models.tenants import BillingState
from tests import factories

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
# The visitor's browser asks for English: the site must not care.
BROWSER = {"Accept-Language": "en-US,en;q=0.9"}


def visit(client, tenant, path):
    return client.get(path, headers={"Host": f"{tenant.subdomain}.example.test", **BROWSER})


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True).replace("\xa0", " "))


def site(tenant, path):
    return f"http://{tenant.subdomain}.example.test{path}"


def a_shop(app, db_session, language, plan="professional"):
    """A live tenant whose site is in ``language`` only, with a product and a post."""
    tenant = factories.tenant(app, db_session, plan=plan)
    tenant.language, tenant.languages = language, [language]
    db_session.add(Product(tenant_id=tenant.id, slug="sourdough", name="Sourdough",
                           description="Baked daily.", price_cents=1250, stock=4,
                           active=True, images=[]))
    # 23:30 UTC on 1 January is already 2 January in Amsterdam, the site's time zone.
    db_session.add(Post(tenant_id=tenant.id, slug="new-oven", title="New oven", body="Hot.",
                        published_at=datetime(2026, 1, 1, 23, 30, tzinfo=UTC)))
    db_session.commit()
    return tenant


def test_a_dutch_sites_chrome_is_dutch_whatever_the_browser_asks(app, db_session, client):
    tenant = a_shop(app, db_session, "nl")
    client.set_cookie("lang", "en")  # the storefront's language switch does not count here

    product = text(visit(client, tenant, "/shop/sourdough"))
    assert '<html lang="nl">' in product
    assert "Op voorraad" in product and "Terug naar de winkel" in product
    assert "€ 12,50" in product and "In stock" not in product

    post = text(visit(client, tenant, "/blog/new-oven"))
    assert "2 januari 2026" in post and "Alle berichten" in post

    missing = visit(client, tenant, "/nothing-here")
    assert missing.status_code == 404 and "Pagina niet gevonden" in text(missing)


def test_an_english_sites_chrome_is_english(app, db_session, client):
    tenant = a_shop(app, db_session, "en")
    product = text(visit(client, tenant, "/shop/sourdough"))
    assert '<html lang="en">' in product
    assert "In stock" in product and "€12.50" in product and "Op voorraad" not in product
    assert "2 January 2026" in text(visit(client, tenant, "/blog/new-oven"))


def test_a_german_sites_chrome_is_german(app, db_session, client):
    tenant = a_shop(app, db_session, "de")
    product = text(visit(client, tenant, "/shop/sourdough"))
    assert '<html lang="de">' in product
    assert "Auf Lager" in product and "Zurück zum Shop" in product and "12,50 €" in product
    assert "2. Januar 2026" in text(visit(client, tenant, "/blog/new-oven"))


def test_the_status_pages_and_the_contact_forms_refusal_speak_the_sites_language(
        app, db_session, client):
    tenant = a_shop(app, db_session, "nl")
    refused = client.post("/contact", data={"form_token": "forged", "name": "Ann"},
                          headers={"Host": f"{tenant.subdomain}.example.test", **BROWSER})
    assert refused.status_code == 400
    assert "Je bericht is niet verstuurd" in text(refused)
    assert "Dit formulier kon niet worden gecontroleerd." in text(refused)

    tenant.billing_state = BillingState.SUSPENDED
    db_session.commit()
    suspended = visit(client, tenant, "/")
    assert suspended.status_code == 503
    assert '<html lang="nl">' in text(suspended)
    assert "Deze site is tijdelijk niet beschikbaar" in text(suspended)


def two_languages(app, db_session, plan="enterprise"):
    """A Dutch site with English as its second language, an 'over-ons' page translated into
    English and a 'diensten' page that is not, and a translated product."""
    tenant = factories.tenant(app, db_session, plan=plan)
    tenant.language, tenant.languages = "nl", ["nl", "en"]
    about = Page(tenant_id=tenant.id, slug="over-ons", title="Over ons", position=1,
                 in_navigation=True, published=True, blocks=[
                     {"type": "text", "data": {"heading": "Wie wij zijn",
                                               "body": "Wij bakken sinds 1920."}},
                     {"type": "contact_form", "data": {"heading": "Schrijf ons", "body": "",
                                                       "submit_label": ""}}])
    services = Page(tenant_id=tenant.id, slug="diensten", title="Diensten", position=2,
                    in_navigation=True, published=True, blocks=[
                        {"type": "text", "data": {"heading": "Wat wij doen",
                                                  "body": "Brood en taart op bestelling."}}])
    bread = Product(tenant_id=tenant.id, slug="zuurdesem", name="Zuurdesembrood",
                    description="Elke dag vers.", price_cents=1250, stock=None, active=True,
                    images=[])
    db_session.add_all([about, services, bread])
    db_session.flush()
    db_session.add_all([
        PageTranslation(tenant_id=tenant.id, page_id=about.id, language="en", title="About us",
                        blocks=[{"type": "text", "data": {"heading": "Who we are",
                                                          "body": "We have baked since 1920."}},
                                {"type": "contact_form", "data": {"heading": "Write to us",
                                                                  "body": "",
                                                                  "submit_label": ""}}]),
        ProductTranslation(tenant_id=tenant.id, product_id=bread.id, language="en",
                           name="Sourdough bread", description="Fresh every day."),
    ])
    db_session.commit()
    return tenant


def alternates(html: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))


def canonical(html: str) -> str:
    return re.search(r'<link rel="canonical" href="([^"]+)">', html).group(1)


def test_an_enterprise_site_serves_each_language_with_hreflang_both_ways(
        app, db_session, client):
    tenant = two_languages(app, db_session)
    both = {"nl": site(tenant, "/over-ons"), "en": site(tenant, "/en/over-ons"),
            "x-default": site(tenant, "/over-ons")}

    dutch = visit(client, tenant, "/over-ons")
    html = text(dutch)
    assert dutch.status_code == 200 and '<html lang="nl">' in html
    assert "Wij bakken sinds 1920." in html and "We have baked" not in html
    assert alternates(html) == both and canonical(html) == site(tenant, "/over-ons")
    assert 'action="/contact"' in html and "Versturen" in html

    english = visit(client, tenant, "/en/over-ons")
    html = text(english)
    assert english.status_code == 200 and '<html lang="en">' in html
    assert "We have baked since 1920." in html and "Wij bakken" not in html
    assert alternates(html) == both and canonical(html) == site(tenant, "/en/over-ons")
    # Links inside the site keep the language; the contact form posts in it.
    assert '<a href="/en/over-ons" aria-current="page">About us</a>' in html
    assert 'href="/en/diensten"' in html and 'action="/en/contact"' in html and "Send" in html
    # The language switcher leads to this page in each language.
    assert 'href="/over-ons" hreflang="nl" lang="nl"' in html
    assert 'href="/en/over-ons" hreflang="en" lang="en" aria-current="true"' in html

    refused = client.post("/en/contact", data={"form_token": "forged"},
                          headers={"Host": f"{tenant.subdomain}.example.test"})
    assert refused.status_code == 400 and '<html lang="en">' in text(refused)
    assert "This form could not be checked." in text(refused) and 'href="/en/"' in text(refused)

    home = text(visit(client, tenant, "/en/"))
    assert '<html lang="en">' in home and canonical(home) == site(tenant, "/en/")
    shop = text(visit(client, tenant, "/en/shop/zuurdesem"))
    assert "Sourdough bread" in shop and "In stock" in shop and "€12.50" in shop
    assert 'href="/en/shop"' in shop


def test_the_sitemap_lists_every_language_with_its_alternates(app, db_session, client):
    tenant = two_languages(app, db_session)
    response = visit(client, tenant, "/sitemap.xml")
    assert response.status_code == 200
    root = ElementTree.fromstring(response.data)
    entries = {url.find(f"{SITEMAP}loc").text: {link.get("hreflang"): link.get("href")
                                                  for link in url.findall(f"{XHTML}link")}
               for url in root}
    for path in ("/over-ons", "/diensten", "/shop/zuurdesem", "/"):
        assert site(tenant, path) in entries
    for path in ("/en/over-ons", "/en/diensten", "/en/shop/zuurdesem", "/en/"):
        assert site(tenant, path) in entries
    assert entries[site(tenant, "/en/over-ons")] == {
        "nl": site(tenant, "/over-ons"), "en": site(tenant, "/en/over-ons"),
        "x-default": site(tenant, "/over-ons")}


def test_an_untranslated_page_falls_back_to_the_default_language(app, db_session, client):
    tenant = two_languages(app, db_session)
    response = visit(client, tenant, "/en/diensten")
    html = text(response)
    assert response.status_code == 200 and '<html lang="en">' in html
    assert "Brood en taart op bestelling." in html  # the Dutch text: there is no English one
    assert canonical(html) == site(tenant, "/en/diensten")


def test_prefixes_the_site_does_not_serve_lead_to_the_default_language(app, db_session, client):
    tenant = two_languages(app, db_session)
    for path in ("/nl/over-ons", "/de/over-ons", "/fr/"):  # its default; languages it lacks
        response = visit(client, tenant, path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == ("/over-ons" if "over" in path else "/")
    unknown = visit(client, tenant, "/xx/over-ons")  # not a language: just a missing page
    assert unknown.status_code == 404 and "Pagina niet gevonden" in text(unknown)


def test_a_professional_site_shows_only_its_default_language(app, db_session, client):
    """After a downgrade the translations stay stored, but /en/ serves no English."""
    tenant = two_languages(app, db_session, plan="professional")
    response = visit(client, tenant, "/en/over-ons")
    assert response.status_code == 302 and response.headers["Location"] == "/over-ons"
    dutch = text(visit(client, tenant, "/over-ons"))
    assert "Wij bakken sinds 1920." in dutch and "We have baked" not in dutch
    assert alternates(dutch) == {} and 'class="language-switch"' not in dutch
    sitemap = visit(client, tenant, "/sitemap.xml").get_data(as_text=True)
    assert site(tenant, "/over-ons") in sitemap and "/en/" not in sitemap
    kept = db_session.scalars(select(PageTranslation.title)
                              .where(PageTranslation.tenant_id == tenant.id)).all()
    assert kept == ["About us"]  # nothing was deleted
