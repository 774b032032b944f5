"""A tenant's public site: published content of that tenant only, escaped, in its own look."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from db.models import Page, Post, Product, Tenant
from web.public_site import render_site

EVERY_BLOCK = [
    {"type": "hero", "data": {"heading": "<script>alert(1)</script> Welcome",
                              "subheading": "Fine work since 1999", "button_label": "Talk to us",
                              "button_link": "/contact"}},
    {"type": "text", "data": {"heading": "Who we are",
                              "body": "First paragraph.\n\nSecond <b>paragraph</b>."}},
    {"type": "features", "data": {"heading": "Why us",
                                  "items": [{"title": "Fast", "body": "Same day."}]}},
    {"type": "testimonials", "data": {"items": [{"quote": "Superb.", "author": "Ann Smith",
                                                 "role": "Client"}]}},
    {"type": "cta", "data": {"heading": "Ready?", "body": "Call today.",
                             "button_label": "Call", "button_link": "tel:+3100000000"}},
    {"type": "faq", "data": {"heading": "Questions",
                             "items": [{"question": "Open on Sunday?", "answer": "No."}]}},
    {"type": "contact_form", "data": {"heading": "Write to us", "body": "We reply quickly.",
                                      "submit_label": "Send it"}},
    {"type": "products", "data": {"heading": "Best sellers", "limit": 2}},
]


def add_tenant(db_session, subdomain, plan_id="starter", **fields):
    tenant = Tenant(company=fields.pop("company", "Acme & Co"), subdomain=subdomain,
                    plan_id=plan_id, interval="month", template=fields.pop("template", "corporate"),
                    provisioning_state="active", site_settings=fields.pop("site_settings", {}))
    db_session.add(tenant)
    db_session.flush()
    return tenant


def add_page(db_session, tenant, slug, blocks=(), **fields):
    page = Page(tenant_id=tenant.id, slug=slug, title=fields.pop("title", slug.title()),
                position=fields.pop("position", 0), in_navigation=fields.pop("in_navigation", True),
                published=fields.pop("published", True), blocks=list(blocks))
    db_session.add(page)
    db_session.flush()
    return page


def add_product(db_session, tenant, slug, price_cents, active=True):
    product = Product(tenant_id=tenant.id, slug=slug, name=slug.replace("-", " ").capitalize(),
                      description="Sturdy.\n\nMade to last.", price_cents=price_cents, stock=5,
                      active=active, images=[])
    db_session.add(product)
    db_session.flush()
    return product


def add_post(db_session, tenant, slug, published_at):
    post = Post(tenant_id=tenant.id, slug=slug, title=slug.replace("-", " ").capitalize(),
                body=f"Body of {slug}.", published_at=published_at)
    db_session.add(post)
    db_session.flush()
    return post


@pytest.fixture
def get(app, db_session):
    def get(tenant, path):
        with app.test_request_context(path):
            response = render_site(db_session, tenant, path)
            return response.status_code, re.sub(r"\s+", " ", response.get_data(as_text=True))
    return get


def test_home_renders_every_block_type_with_text_escaped(db_session, get):
    tenant = add_tenant(db_session, "acme", plan_id="professional")
    add_page(db_session, tenant, "home", EVERY_BLOCK, title="Home")
    add_page(db_session, tenant, "contact", position=1)
    add_product(db_session, tenant, "oak-table", 29900)

    status, html = get(tenant, "/")

    assert status == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Welcome" in html and "<script>" not in html
    assert "<p>First paragraph.</p> <p>Second &lt;b&gt;paragraph&lt;/b&gt;.</p>" in html
    for block_type in ("hero", "text", "features", "testimonials", "cta", "faq", "contact",
                       "products"):
        assert f'class="block block-{block_type}"' in html
    assert 'href="/contact">Talk to us</a>' in html and 'href="tel:+3100000000">Call</a>' in html
    assert "<summary>Open on Sunday?</summary>" in html and "Ann Smith" in html
    assert '<form class="card contact-form" method="post" action="/contact">' in html
    assert "Send it" in html
    assert 'href="/shop/oak-table"' in html and "€299" in html
    assert '<a class="site-brand" href="/">Acme &amp; Co</a>' in html
    assert 'href="/" aria-current="page">Home</a>' in html and 'href="/shop">Shop</a>' in html
    assert f"© {datetime.now(UTC).year} Acme &amp; Co" in html and "Made with" in html
    assert 'href="/site-static/site-theme.css"' in html and 'href="/theme.css?v=' in html
    assert 'class="theme-corporate"' in html
    assert "style=" not in html and "<style" not in html


def test_other_pages_by_slug_and_home_fallback(db_session, get):
    tenant = add_tenant(db_session, "acme")
    add_page(db_session, tenant, "about", [EVERY_BLOCK[1]], title="About us")

    status, html = get(tenant, "/about")
    assert status == 200 and "<title>About us · Acme &amp; Co</title>" in html
    assert get(tenant, "/")[0] == 200  # no home page: the first published page
    assert get(tenant, "/about/")[0] == 200


def test_unpublished_and_unknown_pages_are_a_404_in_the_site_style(db_session, get):
    tenant = add_tenant(db_session, "acme")
    add_page(db_session, tenant, "home", [EVERY_BLOCK[1]])
    add_page(db_session, tenant, "draft", [EVERY_BLOCK[1]], published=False)

    for path in ("/draft", "/nowhere", "/a/b/c"):
        status, html = get(tenant, path)
        assert status == 404
        assert "Page not found" in html and 'href="/">Back to the home page</a>' in html
        assert "Acme &amp; Co" in html and "site-theme.css" in html


def test_another_tenants_page_is_not_found(db_session, get):
    acme = add_tenant(db_session, "acme", company="Acme")
    other = add_tenant(db_session, "globex", company="Globex")
    add_page(db_session, other, "secret-offer", [EVERY_BLOCK[1]])

    assert get(other, "/secret-offer")[0] == 200
    assert get(acme, "/secret-offer")[0] == 404
    assert get(acme, "/")[0] == 404  # acme has no pages at all
    assert "secret-offer" not in get(acme, "/nowhere")[1]


def test_shop_is_not_found_without_the_webshop_feature(db_session, get):
    tenant = add_tenant(db_session, "acme", plan_id="starter")
    add_page(db_session, tenant, "home", [EVERY_BLOCK[1], EVERY_BLOCK[7]])
    add_product(db_session, tenant, "oak-table", 29900)

    assert get(tenant, "/shop")[0] == 404
    assert get(tenant, "/shop/oak-table")[0] == 404
    status, html = get(tenant, "/")
    assert status == 200 and "block-products" not in html and 'href="/shop"' not in html


def test_shop_lists_only_the_tenants_active_products(db_session, get):
    tenant = add_tenant(db_session, "acme", plan_id="professional", template="ecommerce")
    add_product(db_session, tenant, "oak-table", 29900)
    add_product(db_session, tenant, "linen-napkins", 7950)
    add_product(db_session, tenant, "old-chair", 1000, active=False)
    other = add_tenant(db_session, "globex", plan_id="professional")
    add_product(db_session, other, "rival-lamp", 4500)

    status, html = get(tenant, "/shop")
    assert status == 200
    assert "Oak table" in html and "€299" in html
    assert "Linen napkins" in html and "€79.50" in html
    assert "Old chair" not in html and "Rival lamp" not in html
    assert 'class="theme-ecommerce"' in html

    status, html = get(tenant, "/shop/linen-napkins")
    assert status == 200 and "€79.50" in html and "<p>Made to last.</p>" in html
    assert get(tenant, "/shop/old-chair")[0] == 404
    assert get(tenant, "/shop/rival-lamp")[0] == 404


def test_blog_lists_only_published_posts(db_session, get):
    now = datetime.now(UTC)
    tenant = add_tenant(db_session, "acme")
    add_page(db_session, tenant, "home", [EVERY_BLOCK[1]])
    add_post(db_session, tenant, "spring-news", now - timedelta(days=2))
    add_post(db_session, tenant, "draft-post", None)
    add_post(db_session, tenant, "next-week", now + timedelta(days=7))
    other = add_tenant(db_session, "globex")
    add_post(db_session, other, "globex-news", now - timedelta(days=1))

    status, html = get(tenant, "/blog")
    assert status == 200
    assert 'href="/blog/spring-news"' in html and "Body of spring-news." in html
    assert "Draft post" not in html and "Next week" not in html and "Globex news" not in html
    assert 'href="/blog" aria-current="page">Blog</a>' in html

    status, html = get(tenant, "/blog/spring-news")
    assert status == 200 and "<p>Body of spring-news.</p>" in html
    for slug in ("draft-post", "next-week", "globex-news"):
        assert get(tenant, f"/blog/{slug}")[0] == 404


def test_home_slug_redirects_to_the_root(db_session, app):
    tenant = add_tenant(db_session, "acme")
    with app.test_request_context("/home"):
        response = render_site(db_session, tenant, "/home")
    assert response.status_code == 301 and response.location == "/"


def test_theme_stylesheet_uses_valid_tenant_settings_only(db_session, app):
    tenant = add_tenant(db_session, "acme", template="blog", site_settings={
        "primary_color": "#123456", "accent_color": "red;}body{display:none", "font": "comic"})
    with app.test_request_context("/theme.css"):
        response = render_site(db_session, tenant, "/theme.css")
    css = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert "--primary: #123456;" in css and "--on-primary: #ffffff;" in css
    assert "--accent: #b5593a;" in css  # the blog template's own accent
    assert "Georgia" in css and "display:none" not in css
