"""What a tenant's site tells search engines: its sitemap, robots.txt, canonical links and
structured data, with absolute addresses of the site itself and nothing it does not show."""

import json
import re
from datetime import UTC, datetime, timedelta
from urllib.robotparser import RobotFileParser
from xml.etree import ElementTree

from sqlalchemy import select

from db.models import Page, Post, Product
from db.models.tenants import BillingState
from tests import factories

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def visit(client, tenant, path):
    # A port in the Host: addresses must come from the configuration, not from the request.
    return client.get(path, headers={"Host": f"{tenant.subdomain}.example.test:5000"})


def site_url(tenant, path="/"):
    return f"http://{tenant.subdomain}.example.test{path}"


def sitemap(client, tenant) -> dict[str, str | None]:
    """loc -> lastmod of every entry, after checking the response is a sitemap."""
    response = visit(client, tenant, "/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.data)
    assert root.tag == f"{SITEMAP}urlset"
    entries = {}
    for url in root:
        assert url.tag == f"{SITEMAP}url"
        lastmod = url.find(f"{SITEMAP}lastmod")
        entries[url.find(f"{SITEMAP}loc").text] = lastmod.text if lastmod is not None else None
    return entries


def add_page(session, tenant, slug, published=True):
    session.add(Page(tenant_id=tenant.id, slug=slug, title=slug.title(), position=50,
                     published=published, blocks=[]))
    session.flush()


def add_post(session, tenant, slug, published_at, title=None):
    session.add(Post(tenant_id=tenant.id, slug=slug, title=title or slug.title(),
                     body="Words.", published_at=published_at))
    session.flush()


def test_the_sitemap_lists_exactly_the_published_pages_and_posts(app, db_session, client):
    tenant = factories.tenant(app, db_session, plan="starter")  # 10 pages
    other = factories.tenant(app, db_session, plan="starter")
    now = datetime.now(UTC)
    seeded = list(db_session.scalars(select(Page).where(Page.tenant_id == tenant.id)))
    shown = {page.slug for page in seeded if page.published}
    add_page(db_session, tenant, "draft", published=False)
    for number in range(10 - len(seeded) - 1):
        add_page(db_session, tenant, f"extra-{number}")
        shown.add(f"extra-{number}")
    add_page(db_session, tenant, "over-the-limit")  # the 11th page: kept for the portal only
    add_post(db_session, tenant, "out-now", now - timedelta(days=1))
    add_post(db_session, tenant, "next-week", now + timedelta(days=7))
    add_post(db_session, tenant, "unscheduled", None)
    add_page(db_session, other, "their-page")
    add_post(db_session, other, "their-post", now - timedelta(days=1))
    db_session.commit()

    entries = sitemap(client, tenant)

    pages = {site_url(tenant, "/" if slug == "home" else f"/{slug}") for slug in shown}
    posts = {site_url(tenant, "/blog"), site_url(tenant, "/blog/out-now")}
    assert set(entries) == pages | posts
    assert all(entries[url] for url in pages)  # pages carry their last change
    assert entries[site_url(tenant, "/blog/out-now")].startswith(
        (now - timedelta(days=1)).date().isoformat())
    for hidden in ("/draft", "/over-the-limit", "/blog/next-week", "/blog/unscheduled",
                   "/their-page", "/blog/their-post"):
        assert site_url(tenant, hidden) not in entries
    assert not any(other.subdomain in url for url in entries)
    # Each listed address is really on the site.
    for url in entries:
        assert visit(client, tenant, url.removeprefix(site_url(tenant)[:-1])).status_code == 200


def test_the_shop_is_in_the_sitemap_only_with_the_webshop(app, db_session, client):
    shop = factories.tenant(app, db_session, plan="professional")
    db_session.add(Product(tenant_id=shop.id, slug="withdrawn", name="Withdrawn", price_cents=100,
                           active=False, images=[]))
    db_session.commit()
    active = {product.slug for product in db_session.scalars(
        select(Product).where(Product.tenant_id == shop.id, Product.active))}
    assert active

    entries = sitemap(client, shop)

    listed = {url for url in entries if "/shop" in url}
    assert listed == {site_url(shop, "/shop")} | {site_url(shop, f"/shop/{slug}") for slug in active}

    starter = factories.tenant(app, db_session, plan="starter")
    db_session.add(Product(tenant_id=starter.id, slug="mug", name="Mug", price_cents=100,
                           active=True, images=[]))
    db_session.commit()
    assert not any("/shop" in url for url in sitemap(client, starter))


def test_robots_allows_a_live_site_and_names_its_sitemap(app, db_session, client):
    tenant = factories.tenant(app, db_session)
    response = visit(client, tenant, "/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    robots = RobotFileParser()
    robots.parse(text.splitlines())
    assert robots.can_fetch("Googlebot", site_url(tenant, "/blog/any-post"))
    assert f"Sitemap: {site_url(tenant, '/sitemap.xml')}" in text.splitlines()


def test_a_suspended_or_closed_site_disallows_everything(app, db_session, client):
    for state, status in ((BillingState.SUSPENDED, 503), (BillingState.CLOSED, 410)):
        tenant = factories.tenant(app, db_session)
        tenant.billing_state = state
        db_session.commit()
        robots = visit(client, tenant, "/robots.txt")
        assert robots.status_code == 200 and robots.mimetype == "text/plain"
        assert robots.get_data(as_text=True).splitlines() == ["User-agent: *", "Disallow: /"]
        # The sitemap, like every other page, is the status page.
        assert visit(client, tenant, "/sitemap.xml").status_code == status
        assert tenant.company not in visit(client, tenant, "/sitemap.xml").get_data(as_text=True)


def canonical(html):
    links = re.findall(r'<link rel="canonical" href="([^"]+)">', html)
    assert len(links) == 1, links
    return links[0]


def structured_data(html):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) <= 1
    return json.loads(blocks[0]) if blocks else None


def test_pages_posts_and_products_name_their_canonical_address(app, db_session, client):
    tenant = factories.tenant(app, db_session, plan="professional")
    add_post(db_session, tenant, "out-now", datetime.now(UTC) - timedelta(hours=1))
    db_session.commit()
    product = db_session.scalar(select(Product).where(Product.tenant_id == tenant.id,
                                                      Product.active).limit(1))
    page = db_session.scalar(select(Page).where(Page.tenant_id == tenant.id, Page.published,
                                                Page.slug != "home").limit(1))
    for path in ("/", f"/{page.slug}", "/blog", "/blog/out-now", "/shop", f"/shop/{product.slug}"):
        response = visit(client, tenant, path + "/")  # the same page, one address
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert canonical(page) == site_url(tenant, path)
        # What a shared link previews points at the same address.
        assert f'<meta property="og:url" content="{site_url(tenant, path)}">' in page
    missing = visit(client, tenant, "/no-such-page")
    assert missing.status_code == 404 and 'rel="canonical"' not in missing.get_data(as_text=True)
    assert 'property="og:url"' not in missing.get_data(as_text=True)


def test_structured_data_is_escaped_and_cannot_break_out(app, db_session, client):
    hostile = 'Bakker </script><script>alert("x")</script> & Zn'
    tenant = factories.tenant(app, db_session)
    tenant.company = hostile
    published = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    add_post(db_session, tenant, "grand-opening", published, title=f"Open </script> {hostile}")
    db_session.commit()

    home = visit(client, tenant, "/").get_data(as_text=True)
    assert "<script>alert" not in home
    organization = structured_data(home)
    assert organization["@context"] == "https://schema.org"
    assert organization["@type"] == "Organization"
    assert organization["name"] == hostile and organization["url"] == site_url(tenant)

    post = visit(client, tenant, "/blog/grand-opening").get_data(as_text=True)
    assert "<script>alert" not in post
    data = structured_data(post)
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == f"Open </script> {hostile}"
    assert data["datePublished"] == "2026-03-01T09:30:00+00:00"
    assert data["url"] == site_url(tenant, "/blog/grand-opening")
    assert data["publisher"]["name"] == hostile
    # Other pages carry no organisation of their own.
    assert structured_data(visit(client, tenant, "/blog").get_data(as_text=True)) is None



def test_the_storefront_robots_keeps_crawlers_out_of_accounts_and_the_portal(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    robots = RobotFileParser()
    robots.parse(response.get_data(as_text=True).splitlines())
    for path in ("/pricing", "/pricing?plan=starter", "/terms", "/privacy"):
        assert robots.can_fetch("Googlebot", f"http://localhost{path}"), path
    for path in ("/portal/", "/portal/pages", "/onboarding/abc", "/signup?plan=starter", "/login",
                 "/signin/some-token", "/password/reset", "/invites/some-token", "/api/v1/pages"):
        assert not robots.can_fetch("Googlebot", f"http://localhost{path}"), path
