"""Tenant sites from cache (web/public_site/page_cache.py): a second request costs only the
tenant lookup, every kind of change a visitor can see shows on the next request (the triggers
of migration 0023 move ``tenants.site_version`` in the change's own transaction), ETags and
304s, headers for a CDN, junk query strings and per-visitor pages, and Redis down."""

from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from shop_support import open_shop
from sqlalchemy import select

from db.models import CustomDomain, DomainStatus, MediaFile, Page, PageTranslation, Post, Product, Tenant
from db.models.tenants import BillingState
from tenants.domain_routing import invalidate
from web.public_site.page_cache import PREFIX, PUBLIC

import factories
from support import statements_during

CACHED_QUERIES = 1  # the tenant's row: nothing else is read for a page from the cache


@pytest.fixture
def tenant(app, db_session, redis):
    tenant = factories.tenant(app, db_session, plan="starter", company="Bakkerij Blum")
    # Pages of our own, without the template's contact form (a per-visitor page).
    for page in db_session.scalars(select(Page).where(Page.tenant_id == tenant.id)):
        db_session.delete(page)
    db_session.flush()
    db_session.add(Page(tenant_id=tenant.id, slug="home", title="Home", position=0,
                        in_navigation=True, published=True, blocks=[
                            {"type": "text", "data": {"heading": "Fresh bread",
                                                      "body": "Baked at dawn."}}]))
    db_session.add(Page(tenant_id=tenant.id, slug="about", title="About us", position=1,
                        in_navigation=True, published=True, blocks=[
                            {"type": "text", "data": {"heading": "Since 1921",
                                                      "body": "Four generations."}}]))
    db_session.commit()
    return tenant


def host_of(tenant):
    return f"{tenant.subdomain}.example.test"


def get(client, tenant_or_host, path="/", **kwargs):
    host = tenant_or_host if isinstance(tenant_or_host, str) else host_of(tenant_or_host)
    return client.get(path, headers={"Host": host, **kwargs.pop("headers", {})}, **kwargs)


def entries(redis):
    return sorted(redis.scan_iter(f"{PREFIX}*"))


def shows(client, tenant, text, path="/"):
    """Whether the next request shows ``text``; a second one must say the same from the cache."""
    first = get(client, tenant, path).get_data(as_text=True)
    again = get(client, tenant, path).get_data(as_text=True)
    assert first == again
    return text in first


def page(db_session, tenant, slug):
    return db_session.scalar(select(Page).where(Page.tenant_id == tenant.id, Page.slug == slug))


def fresh(db_session, tenant):
    return db_session.get(Tenant, tenant.id, populate_existing=True)


def test_the_second_request_is_served_from_the_cache(app, client, redis, tenant):
    first, uncached = statements_during(app, lambda: get(client, tenant, "/about"))
    second, cached = statements_during(app, lambda: get(client, tenant, "/about"))
    assert first.status_code == second.status_code == 200
    assert "Four generations." in second.get_data(as_text=True)
    assert second.get_data() == first.get_data()
    assert len(uncached) > CACHED_QUERIES and len(cached) == CACHED_QUERIES
    assert len(entries(redis)) == 1
    # The same page by an equivalent path is the same entry.
    get(client, tenant, "/about/")
    get(client, tenant, "/about//")
    assert len(entries(redis)) == 1


def test_etag_cache_control_and_304(client, tenant):
    for attempt in ("miss", "hit"):
        response = get(client, tenant, "/about")
        assert response.status_code == 200, attempt
        assert response.headers["Cache-Control"] == PUBLIC
        assert "Cookie" in response.headers["Vary"]
        etag = response.headers["ETag"]
        assert etag.startswith('"')
    again = get(client, tenant, "/about", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == PUBLIC
    assert get(client, tenant, "/about", headers={"If-None-Match": "W/" + etag}).status_code == 304
    assert get(client, tenant, "/about", headers={"If-None-Match": '"other"'}).status_code == 200
    head = client.head("/about", headers={"Host": host_of(tenant)})
    assert head.status_code == 200 and head.headers["ETag"] == etag


def test_an_uncached_first_request_also_answers_304(client, redis, tenant):
    etag = get(client, tenant, "/about").headers["ETag"]
    redis.flushdb()
    assert get(client, tenant, "/about", headers={"If-None-Match": etag}).status_code == 304


def test_junk_query_strings_make_no_new_entries(client, redis, tenant):
    plain = get(client, tenant, "/about")
    for query in ("?a=1", "?utm_source=x&b=2", "?" + "x" * 500, "?page=99999"):
        response = get(client, tenant, "/about" + query)
        assert response.status_code == 200 and response.get_data() == plain.get_data()
    assert len(entries(redis)) == 1


def test_paths_that_are_not_pages_fill_nothing(client, redis, tenant):
    for number in range(5):
        assert get(client, tenant, f"/no-such-page-{number}").status_code == 404
    assert get(client, tenant, "/theme.css").status_code == 200
    assert get(client, tenant, "/robots.txt").status_code == 200
    assert entries(redis) == []


def test_a_visitor_with_a_session_is_not_served_the_shared_copy(client, redis, tenant):
    get(client, tenant, "/about")
    client.set_cookie("session", "something", domain=host_of(tenant))
    response = get(client, tenant, "/about")
    assert response.status_code == 200 and response.headers["Cache-Control"] == \
        "private, no-cache"
    assert "ETag" not in response.headers


def test_the_contact_forms_one_use_token_is_never_shared(client, db_session, redis, tenant):
    contact = page(db_session, tenant, "about")
    contact.blocks = [{"type": "contact_form", "data": {"heading": "Write to us", "body": "",
                                                        "submit_label": "Send"}}]
    db_session.commit()
    tokens = set()
    for _visitor in range(2):
        response = get(client, tenant, "/about")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-cache"
        html = response.get_data(as_text=True)
        tokens.add(html.split('name="form_token" value="')[1].split('"')[0])
    assert len(tokens) == 2 and entries(redis) == []


def test_the_shops_csrf_token_is_never_shared(app, client, db_session, redis, stripe_fake):
    tenant, _shop, product = open_shop(app, db_session, stripe_fake)
    tokens = set()
    for _visitor in range(2):
        client.delete_cookie("session", domain=host_of(tenant))
        response = get(client, tenant, f"/shop/{product.slug}")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-cache"
        tokens.add(response.get_data(as_text=True).split('name="csrf_token" value="')[1][:40])
    assert len(tokens) == 2
    client.delete_cookie("session", domain=host_of(tenant))
    assert get(client, tenant, "/shop").status_code == 200  # no form on it: shared
    assert len(entries(redis)) == 1


# Every kind of change a visitor can see: the next request shows it.

def test_publish_unpublish_edit_and_delete_a_page(client, db_session, tenant):
    assert shows(client, tenant, "About us")
    about = page(db_session, tenant, "about")
    about.title = "Our story"
    db_session.commit()
    assert shows(client, tenant, "Our story")
    about.published = False
    db_session.commit()
    assert not shows(client, tenant, "Our story")
    about.published = True
    db_session.commit()
    assert shows(client, tenant, "Our story")
    db_session.delete(about)
    db_session.commit()
    assert not shows(client, tenant, "Our story")


def test_publish_edit_and_delete_a_post(client, db_session, tenant):
    assert not shows(client, tenant, "Rye is back", "/blog")
    post = Post(tenant_id=tenant.id, slug="rye", title="Rye is back", body="Yes.",
                published_at=None)
    db_session.add(post)
    db_session.commit()
    assert not shows(client, tenant, "Rye is back", "/blog")
    post.published_at = datetime.now(UTC) - timedelta(minutes=1)
    db_session.commit()
    assert shows(client, tenant, "Rye is back", "/blog")
    post.title = "Rye and spelt"
    db_session.commit()
    assert shows(client, tenant, "Rye and spelt", "/blog")
    db_session.delete(post)
    db_session.commit()
    assert not shows(client, tenant, "Rye and spelt", "/blog")


def test_a_scheduled_post_shows_when_its_time_comes(client, db_session, redis, tenant):
    db_session.add(Post(tenant_id=tenant.id, slug="soon", title="Soon", body=".",
                        published_at=datetime.now(UTC) + timedelta(seconds=30)))
    db_session.commit()
    get(client, tenant, "/blog")
    [entry] = entries(redis)
    assert 0 < redis.ttl(entry) <= 31  # no write happens at publication: the entry ends then


def test_add_edit_and_delete_a_product(app, client, db_session, redis):
    tenant = factories.tenant(app, db_session, plan="professional")
    product = Product(tenant_id=tenant.id, slug="spelt-loaf", name="Spelt loaf",
                      description="Dense.", price_cents=450, stock=5, active=True, images=[])
    db_session.add(product)
    db_session.commit()
    assert shows(client, tenant, "Spelt loaf", "/shop")
    product.name = "Spelt bread"
    db_session.commit()
    assert shows(client, tenant, "Spelt bread", "/shop")
    db_session.delete(product)
    db_session.commit()
    assert not shows(client, tenant, "Spelt bread", "/shop")


def test_a_translation(client, db_session, tenant):
    row = fresh(db_session, tenant)
    row.plan_id = "enterprise"  # a plan with several languages
    row.languages = ["en", "nl"]
    db_session.commit()
    assert shows(client, tenant, "About us", "/nl/about")
    about = page(db_session, tenant, "about")
    translation = PageTranslation(tenant_id=tenant.id, page_id=about.id, language="nl",
                                  title="Over ons", blocks=about.blocks)
    db_session.add(translation)
    db_session.commit()
    assert shows(client, tenant, "Over ons", "/nl/about")
    translation.title = "Wie wij zijn"
    db_session.commit()
    assert shows(client, tenant, "Wie wij zijn", "/nl/about")


def test_the_theme_and_the_logo(client, db_session, tenant):
    before = get(client, tenant).get_data(as_text=True)
    row = fresh(db_session, tenant)
    row.site_settings = {**(row.site_settings or {}), "primary_color": "#123456",
                         "tagline": "Warm from the oven"}
    db_session.commit()
    after = get(client, tenant).get_data(as_text=True)
    assert after != before and "Warm from the oven" in after
    logo = MediaFile(tenant_id=tenant.id, filename="logo.png", storage_name="logo-abc.png",
                     content_type="image/png", size_bytes=100, width=10, height=10)
    db_session.add(logo)
    db_session.commit()
    row.site_settings = {**row.site_settings, "logo_media_id": logo.id}
    db_session.commit()
    assert shows(client, tenant, "/media/logo-abc.png")
    row.template = "ecommerce"
    db_session.commit()
    assert shows(client, tenant, "theme-ecommerce")


def test_a_plan_change(client, db_session, tenant):
    db_session.add(Product(tenant_id=tenant.id, slug="rye", name="Rye loaf", description=".",
                           price_cents=400, stock=3, active=True, images=[]))
    db_session.commit()
    assert not shows(client, tenant, 'href="/shop"')
    fresh(db_session, tenant).plan_id = "professional"
    db_session.commit()
    assert shows(client, tenant, 'href="/shop"')
    fresh(db_session, tenant).plan_id = "starter"
    db_session.commit()
    assert not shows(client, tenant, 'href="/shop"')


def test_suspended_and_back_and_closed_status_pages_are_cached_too(app, client, db_session,
                                                                     redis, tenant):
    assert get(client, tenant).status_code == 200
    row = fresh(db_session, tenant)
    row.billing_state = BillingState.SUSPENDED
    db_session.commit()
    first = get(client, tenant, "/about")
    assert first.status_code == 503 and first.headers["Retry-After"] == "3600"
    assert first.headers["Cache-Control"] == PUBLIC
    second, queries = statements_during(app, lambda: get(client, tenant, "/anything"))
    assert second.status_code == 503 and len(queries) == CACHED_QUERIES  # one entry, any path
    assert second.headers["Retry-After"] == "3600"
    assert second.get_data() == first.get_data()
    row.billing_state = BillingState.ACTIVE
    db_session.commit()
    assert get(client, tenant, "/about").status_code == 200
    row.billing_state = BillingState.CLOSED
    db_session.commit()
    assert get(client, tenant).status_code == 410
    closed, queries = statements_during(app, lambda: get(client, tenant, "/about"))
    assert closed.status_code == 410 and len(queries) == CACHED_QUERIES


def test_a_domain_verified_then_made_primary(app, client, db_session, redis):
    tenant = factories.tenant(app, db_session, plan="professional")
    row = CustomDomain(tenant_id=tenant.id, name="blum.nl", status=DomainStatus.PENDING)
    db_session.add(row)
    db_session.commit()
    invalidate(redis)
    assert shows(client, tenant, f'rel="canonical" href="http://{host_of(tenant)}/"')
    row.status = DomainStatus.VERIFIED
    db_session.commit()
    invalidate(redis)
    response = get(client, "blum.nl")
    assert response.status_code == 200
    assert f'rel="canonical" href="http://{host_of(tenant)}/"' in response.get_data(as_text=True)
    row.is_primary = True
    db_session.commit()
    invalidate(redis)
    assert 'rel="canonical" href="http://blum.nl/"' in get(client, "blum.nl").get_data(
        as_text=True)
    assert get(client, tenant).status_code == 301


def test_a_change_in_another_tenant_leaves_this_ones_entry(app, client, db_session, redis,
                                                           tenant):
    other = factories.tenant(app, db_session, plan="starter")
    get(client, tenant, "/about")
    db_session.add(Page(tenant_id=other.id, slug="news", title="News", position=9,
                        in_navigation=True, published=True, blocks=[]))
    db_session.commit()
    _response, queries = statements_during(app, lambda: get(client, tenant, "/about"))
    assert len(queries) == CACHED_QUERIES


def test_redis_down_means_uncached_pages_not_errors(app, client, redis, tenant, monkeypatch):
    def down(self, *args, **kwargs):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(Redis, "get", down)
    monkeypatch.setattr(Redis, "set", down)
    for _attempt in range(2):
        response = get(client, tenant, "/about")
        assert response.status_code == 200 and "Four generations." in \
            response.get_data(as_text=True)
    monkeypatch.undo()
    assert entries(redis) == []
