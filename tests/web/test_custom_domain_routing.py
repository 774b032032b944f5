"""A tenant's own domains on the public site: served once verified (and while lost, within the
grace), the main address with 301s from the others, never a query for the lookup on the hot
path, and removal that stops serving at once."""

from datetime import timedelta

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import select

from db.base import utcnow
from db.models import CustomDomain, DomainStatus, Tenant
from db.models.tenants import BillingState
from tenants.domain_routing import CACHE, VERSION_KEY, invalidate

import factories
from support import csrf_token, statements_during

DOES_NOT_ANSWER = "does not answer for"


@pytest.fixture
def tenant(app, db_session, redis):
    return factories.tenant(app, db_session, plan="professional", company="Bakkerij Blum")


def domain(db_session, redis, tenant, name, status=DomainStatus.VERIFIED, **fields):
    """A row as the verifier leaves it, then the routing told (as the verifier tells it)."""
    row = CustomDomain(tenant_id=tenant.id, name=name, status=status, **fields)
    db_session.add(row)
    db_session.commit()
    invalidate(redis)
    return row


def get(client, host, path="/", **kwargs):
    return client.get(path, headers={"Host": host}, **kwargs)


def test_a_verified_domain_serves_the_tenants_site_like_its_subdomain(client, db_session, redis,
                                                                      tenant):
    domain(db_session, redis, tenant, "shop.blum.nl")
    by_domain = get(client, "shop.blum.nl")
    by_subdomain = get(client, f"{tenant.subdomain}.example.test")
    assert by_domain.status_code == by_subdomain.status_code == 200
    assert "Bakkerij Blum" in by_domain.get_data(as_text=True)
    # While the subdomain is the main address, the domain is served as it is: no redirect, and
    # the canonical address stays the subdomain.
    assert f'rel="canonical" href="http://{tenant.subdomain}.example.test/"' in \
        by_domain.get_data(as_text=True)
    assert get(client, "shop.blum.nl", "/theme.css").status_code == 200


def test_the_main_address_takes_the_others_with_a_301_keeping_path_and_query(
        client, db_session, redis, tenant):
    domain(db_session, redis, tenant, "www.blum.nl", is_primary=True)
    domain(db_session, redis, tenant, "blum.nl")
    for host in (f"{tenant.subdomain}.example.test", "blum.nl"):
        for path in ("/blog?page=2&tag=br%C3%B6d", "/robots.txt", "/sitemap.xml", "/theme.css",
                     "/media/1"):
            response = get(client, host, path)
            assert response.status_code == 301, (host, path)
            assert response.headers["Location"] == f"http://www.blum.nl{path}", (host, path)
    main = get(client, "www.blum.nl")
    page = main.get_data(as_text=True)
    assert main.status_code == 200 and "Bakkerij Blum" in page
    assert 'rel="canonical" href="http://www.blum.nl/"' in page
    robots = get(client, "www.blum.nl", "/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://www.blum.nl/sitemap.xml" in robots


def test_the_redirect_uses_the_scheme_of_public_url(make_app, app, db_session, redis, tenant):
    from support import share_transaction

    production = make_app(PUBLIC_URL="https://contyzr.example", PLATFORM_DOMAIN="example.test")
    share_transaction(production, app)
    domain(db_session, redis, tenant, "www.blum.nl", is_primary=True)
    response = production.test_client().get("/contact?x=1", headers={
        "Host": f"{tenant.subdomain}.example.test"})
    assert response.status_code == 301
    assert response.headers["Location"] == "https://www.blum.nl/contact?x=1"


@pytest.mark.parametrize("status", [DomainStatus.PENDING, DomainStatus.MISCONFIGURED])
def test_an_unverified_domain_is_not_served(client, db_session, redis, tenant, status):
    domain(db_session, redis, tenant, "shop.blum.nl", status=status)
    response = get(client, "shop.blum.nl")
    assert response.status_code == 400 and DOES_NOT_ANSWER in response.get_data(as_text=True)
    assert "Bakkerij Blum" not in response.get_data(as_text=True)


def test_a_lost_domain_is_served_until_its_grace_ends(app, client, db_session, redis, tenant):
    grace = timedelta(hours=app.config["DOMAIN_LOST_GRACE_HOURS"])
    row = domain(db_session, redis, tenant, "shop.blum.nl", status=DomainStatus.LOST,
                 lost_at=utcnow() - grace + timedelta(minutes=5))
    assert get(client, "shop.blum.nl").status_code == 200
    row.lost_at = utcnow() - grace - timedelta(minutes=1)
    db_session.commit()
    invalidate(redis)
    response = get(client, "shop.blum.nl")
    assert response.status_code == 400 and DOES_NOT_ANSWER in response.get_data(as_text=True)


def test_a_plan_without_own_domains_does_not_serve_them(app, client, db_session, redis):
    starter = factories.tenant(app, db_session, plan="starter", company="Small Shop")
    domain(db_session, redis, starter, "www.small.nl", is_primary=True)
    response = get(client, "www.small.nl")
    assert response.status_code == 400 and DOES_NOT_ANSWER in response.get_data(as_text=True)
    # Nor does its subdomain send visitors to a domain that is not served.
    assert get(client, f"{starter.subdomain}.example.test").status_code == 200


def test_a_downgrade_stops_serving_even_before_the_map_is_reloaded(client, db_session, redis,
                                                                   tenant):
    domain(db_session, redis, tenant, "shop.blum.nl")
    assert get(client, "shop.blum.nl").status_code == 200  # the map is loaded now
    db_session.get(Tenant, tenant.id).plan_id = "starter"
    db_session.commit()  # no invalidate: the plan's rules are checked on the tenant row
    assert get(client, "shop.blum.nl").status_code == 400


@pytest.mark.parametrize("state, status", [(BillingState.SUSPENDED, 503),
                                           (BillingState.CLOSED, 410)])
def test_a_suspended_or_closed_tenants_domain_shows_its_status_page(client, db_session, redis,
                                                                     tenant, state, status):
    domain(db_session, redis, tenant, "shop.blum.nl")
    db_session.get(Tenant, tenant.id).billing_state = state
    db_session.commit()
    response = get(client, "shop.blum.nl")
    assert response.status_code == status
    assert "Bakkerij Blum" not in response.get_data(as_text=True)


def test_removing_a_domain_in_the_portal_stops_serving_it_at_once(client, db_session, redis,
                                                                  tenant, sign_in):
    row = domain(db_session, redis, tenant, "shop.blum.nl")
    assert get(client, "shop.blum.nl").status_code == 200  # this process has it in its map
    sign_in(tenant.owner_email)
    response = client.post("/portal/domain/remove", data={
        "domain_id": row.id, "csrf_token": csrf_token(client, "/portal/domain")})
    assert response.status_code == 303
    assert int(redis.get(VERSION_KEY)) == 2  # the other processes are told too
    gone = get(client, "shop.blum.nl")
    assert gone.status_code == 400 and DOES_NOT_ANSWER in gone.get_data(as_text=True)


def test_another_process_sees_a_change_within_a_second(client, db_session, redis, tenant,
                                                       monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(CACHE, "clock", lambda: now[0])
    domain(db_session, redis, tenant, "shop.blum.nl")
    assert get(client, "shop.blum.nl").status_code == 200
    # Another process removes it: the version moves in Redis, this process's map does not.
    db_session.query(CustomDomain).filter_by(name="shop.blum.nl").delete()
    db_session.commit()
    redis.incr(VERSION_KEY)
    now[0] += 0.5
    assert get(client, "shop.blum.nl").status_code == 200  # within the second: the old map
    now[0] += 0.6
    assert get(client, "shop.blum.nl").status_code == 400


def queries_of(app, request) -> list[str]:
    response, seen = statements_during(app, request)
    assert response.status_code == 200
    return seen


def test_the_host_lookup_costs_no_query_on_the_hot_path(app, client, db_session, redis, tenant):
    domain(db_session, redis, tenant, "shop.blum.nl")
    first = queries_of(app, lambda: get(client, "shop.blum.nl"))
    assert any("custom_domains" in statement for statement in first)  # the map is loaded once
    second = queries_of(app, lambda: get(client, "shop.blum.nl"))
    assert not any("custom_domains" in statement for statement in second)
    get(client, f"{tenant.subdomain}.example.test")  # its own entry in the page cache
    by_subdomain = queries_of(app, lambda: get(client, f"{tenant.subdomain}.example.test"))
    assert len(second) == len(by_subdomain)  # the same page, the same queries


def test_with_redis_down_the_database_answers_for_that_request(app, client, db_session, redis,
                                                               tenant, monkeypatch):
    domain(db_session, redis, tenant, "shop.blum.nl", is_primary=True)

    def down(self, *args, **kwargs):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(Redis, "get", down)
    monkeypatch.setattr(Redis, "incr", down)
    queries = queries_of(app, lambda: get(client, "shop.blum.nl"))
    assert any("custom_domains" in statement for statement in queries)
    moved = get(client, f"{tenant.subdomain}.example.test", "/blog")
    assert moved.status_code == 301 and moved.headers["Location"] == "http://shop.blum.nl/blog"
    assert get(client, "other.blum.nl").status_code == 400
    assert db_session.scalar(select(CustomDomain.name)) == "shop.blum.nl"
