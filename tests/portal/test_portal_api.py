"""API keys in the portal and the JSON API they open: shown once, one tenant's data only,
revocable, and rate limited per plan across web processes."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from db.models import Page, Product
from tenants.api_keys import create_key
from worker.services import services

import factories
from support import csrf_token, share_transaction


def key_for(db_session, tenant) -> str:
    _row, key = create_key(db_session, tenant.id, "Test")
    db_session.commit()
    return key


def api(client, key, path):
    return client.get(path, headers={"Authorization": f"Bearer {key}"})


def ids(db_session, model, tenant) -> set[int]:
    return set(db_session.scalars(select(model.id).where(model.tenant_id == tenant.id)))


def test_a_new_key_is_shown_once_works_and_can_be_revoked(app, db_session, owner_client):
    tenant = owner_client.tenant
    missing = owner_client.post("/portal/api-keys", data={
        "name": " ", "csrf_token": csrf_token(owner_client, "/portal/api-keys")})
    assert missing.status_code == 422 and "Name the key" in missing.get_data(as_text=True)

    created = owner_client.post("/portal/api-keys", data={
        "name": "Website sync", "csrf_token": csrf_token(owner_client, "/portal/api-keys")})
    page = created.get_data(as_text=True)
    key = re.search(r'<code id="new-key">(cz_[^<]+)</code>', page).group(1)
    assert created.status_code == 200 and "shown only this once" in page
    assert created.headers["Cache-Control"] == "no-store"
    cookie = owner_client.get_cookie("session").value
    assert key not in str(app.session_interface.get_signing_serializer(app).loads(cookie))
    listing = owner_client.get("/portal/api-keys").get_data(as_text=True)
    assert key not in listing and "Website sync" in listing and "Never" in listing
    assert 'curl -H "Authorization: Bearer &lt;key&gt;" http://localhost/api/v1/pages' in listing

    response = api(owner_client, key, "/api/v1/pages")
    assert response.status_code == 200
    assert {page["id"] for page in response.get_json()["data"]} == ids(db_session, Page, tenant)
    assert "Never" not in owner_client.get("/portal/api-keys").get_data(as_text=True)

    key_id = re.search(r'/portal/api-keys/(\d+)/revoke', listing).group(1)
    revoked = owner_client.post(f"/portal/api-keys/{key_id}/revoke",
                                data={"csrf_token": csrf_token(owner_client, "/portal/api-keys")})
    assert revoked.status_code == 303
    assert "Revoked" in owner_client.get("/portal/api-keys").get_data(as_text=True)
    assert api(owner_client, key, "/api/v1/pages").status_code == 401


def test_keys_are_for_owners_and_admins_of_their_own_tenant(app, db_session, client, sign_in):
    tenant, other = factories.tenant(app, db_session), factories.tenant(app, db_session)
    theirs, _key = create_key(db_session, other.id, "Theirs")
    editor = factories.user(db_session, tenant, role="editor")
    sign_in(tenant.owner_email)
    token = csrf_token(client, "/portal/api-keys")
    for key_id in (theirs.id, 99999999999999999999):
        assert client.post(f"/portal/api-keys/{key_id}/revoke", data={"csrf_token": token}).status_code == 404
    client.post("/logout", data={"csrf_token": token})
    sign_in(editor.email)
    assert client.get("/portal/api-keys").status_code == 403


def test_the_api_shows_the_keys_tenant_only_and_products_with_a_webshop(app, db_session, client):
    starter = factories.tenant(app, db_session)
    pro = factories.tenant(app, db_session, plan="professional")
    starter_key, pro_key = key_for(db_session, starter), key_for(db_session, pro)

    pages = api(client, starter_key, "/api/v1/pages").get_json()["data"]
    assert {page["id"] for page in pages} == ids(db_session, Page, starter)
    own, foreign = min(ids(db_session, Page, starter)), min(ids(db_session, Page, pro))
    assert api(client, starter_key, f"/api/v1/pages/{own}").status_code == 200
    assert api(client, starter_key, f"/api/v1/pages/{foreign}").status_code == 404

    assert api(client, starter_key, "/api/v1/products").status_code == 403
    products = api(client, pro_key, "/api/v1/products")
    assert products.status_code == 200
    assert {p["id"] for p in products.get_json()["data"]} == ids(db_session, Product, pro)
    assert api(client, "cz_nothing_here", "/api/v1/pages").status_code == 401


@pytest.fixture
def second_instance(app, make_app):
    other = make_app()
    share_transaction(other, app)
    return other


def test_the_rate_limit_is_shared_by_every_web_process(app, db_session, redis, second_instance,
                                                        monkeypatch):
    tenant = factories.tenant(app, db_session)
    key = key_for(db_session, tenant)
    monkeypatch.setitem(services(app).catalog.plan("starter").limits, "api_rpm", 3)
    client, other_client = app.test_client(), second_instance.test_client()
    with freeze_time(datetime.now(UTC).replace(second=30, microsecond=0)):
        answers = [api(client, key, "/api/v1/pages"), api(other_client, key, "/api/v1/pages"),
                   api(client, key, "/api/v1/pages"), api(other_client, key, "/api/v1/pages")]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    assert [r.headers["RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0"]
    limited = answers[-1]
    # A moving window: a request is allowed again once the oldest one is a minute old.
    assert limited.headers["Retry-After"] == "60" and limited.headers["X-RateLimit-Reset"] == "60"
    assert limited.headers["RateLimit-Reset"] == "60"
    assert limited.headers["X-RateLimit-Limit"] == limited.headers["RateLimit-Limit"] == "3"
    assert "3 API requests per minute" in limited.get_json()["error"]["message"]


def test_a_minute_boundary_lets_no_more_than_the_limit_through(app, db_session, redis,
                                                                monkeypatch):
    tenant = factories.tenant(app, db_session)
    key = key_for(db_session, tenant)
    monkeypatch.setitem(services(app).catalog.plan("starter").limits, "api_rpm", 3)
    client = app.test_client()
    minute = datetime.now(UTC).replace(second=0, microsecond=0)
    with freeze_time(minute + timedelta(seconds=59)):
        before = [api(client, key, "/api/v1/pages").status_code for _ in range(3)]
    with freeze_time(minute + timedelta(seconds=61)) as clock:
        after = [api(client, key, "/api/v1/pages") for _ in range(3)]
        clock.move_to(minute + timedelta(seconds=119, microseconds=500))
        later = api(client, key, "/api/v1/pages")
    assert before == [200, 200, 200]
    assert [r.status_code for r in after] == [429, 429, 429]  # a fixed window allowed 3 more
    assert after[0].headers["Retry-After"] == "58"
    assert later.status_code == 200


def test_the_dashboard_meters_the_api_requests_of_the_last_minute(app, db_session, redis,
                                                                   owner_client):
    key = key_for(db_session, owner_client.tenant)
    client = app.test_client()
    assert [api(client, key, "/api/v1/pages").status_code for _ in range(2)] == [200, 200]
    page = owner_client.get("/portal/").get_data(as_text=True)
    meter = re.search(r'id="usage-api_rpm">(.*?)</div>', page, re.S).group(1)
    assert re.search(r"2 of 60\s+this minute", meter)
