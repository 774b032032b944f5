"""Every route that takes an id: another tenant's id is a 404, in the portal and the API.
And every state-changing portal route of a suspended tenant is refused (read-only)."""


import pytest
from sqlalchemy import select

from db.base import utcnow
from db.models import ContactSubmission, Invite, Page, Product, TenantEvent, User
from tenants.api_keys import create_key

import factories
from support import csrf_token, url_for_rule

# Routes whose arguments are not ids of tenant-owned rows (tokens, files, the index of a block
# inside a page that the page id already scopes).
NOT_IDS = {"token", "filename", "index", "direction", "lang"}  # (lang: a language code)


def id_routes(app, prefixes):
    """The tenant-scoped routes that take an id (the staff's platform API takes any tenant's:
    tests/staff/test_platform_api.py)."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(prefixes) and not rule.rule.startswith("/api/platform/") \
                and set(rule.arguments) - NOT_IDS:
            for method in sorted(rule.methods & {"GET", "POST"}):
                yield rule, method


def test_another_tenants_ids_are_404_on_every_route(app, db_session, client, sign_in, mails):
    mine = factories.tenant(app, db_session, plan="professional", company="Mine")
    theirs = factories.tenant(app, db_session, plan="professional", company="Theirs")
    their_ids = factories.one_of_each(db_session, theirs)
    _row, my_key = create_key(db_session, mine.id, "mine")
    db_session.commit()
    sign_in(mine.owner_email)
    token = csrf_token(client, "/portal/")
    checked = []
    for rule, method in id_routes(app, ("/portal/", "/api/")):
        url = url_for_rule(rule, their_ids)
        if rule.rule.startswith("/api/"):
            response = client.get(url, headers={"Authorization": f"Bearer {my_key}"})
        elif method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token, "role": "admin",
                                              "confirm": "y", "title": "x", "name": "x"})
        assert response.status_code == 404, f"{method} {url} answered {response.status_code}"
        checked.append(rule.endpoint)
    assert len(set(checked)) >= 20  # the sweep really covered the id routes
    # Nothing of theirs changed.
    assert db_session.get(Product, their_ids["product_id"]).name == "X"
    assert db_session.get(User, their_ids["member_id"]).role == "editor"
    assert db_session.get(Invite, their_ids["invite_id"]) is not None
    assert db_session.get(ContactSubmission, their_ids["submission_id"]).handled_at is None


def test_unknown_id_argument_names_are_mapped(app):
    """A new route with an id argument must be added to objects_of above."""
    known = {"page_id", "post_id", "media_id", "product_id", "invite_id", "member_id", "key_id",
             "submission_id", "order_id"}
    for rule, _method in id_routes(app, ("/portal/", "/api/")):
        assert set(rule.arguments) - NOT_IDS <= known, rule.rule


def suspend(db_session, tenant):
    tenant.billing_state, tenant.suspended_at = "suspended", utcnow()
    db_session.add(TenantEvent(tenant_id=tenant.id, kind="suspended", detail="test"))
    db_session.commit()


# Paying again, one's own language (the page that says how to pay must be readable), and the
# orders buyers already paid for: they can still be shipped or refunded.
ALLOWED_WHEN_SUSPENDED = {"portal.billing_portal", "portal.resubscribe", "portal.save_profile",
                          "portal.ship_order", "portal.refund_order", "portal.cancel_order"}


@pytest.mark.parametrize("plan", ["professional"])
def test_suspended_portal_refuses_every_state_changing_route(app, db_session, client, sign_in,
                                                             mails, plan):
    tenant = factories.tenant(app, db_session, plan=plan)
    own_ids = factories.one_of_each(db_session, tenant)
    sign_in(tenant.owner_email)
    token = csrf_token(client, "/portal/")
    suspend(db_session, tenant)
    pages_before = db_session.scalars(select(Page.title).where(Page.tenant_id == tenant.id)).all()
    refused = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/portal/") or "POST" not in rule.methods \
                or rule.endpoint in ALLOWED_WHEN_SUSPENDED:
            continue
        url = url_for_rule(rule, own_ids)
        response = client.post(url, data={"csrf_token": token, "title": "Changed",
                                          "name": "Changed", "email": "new@example.com",
                                          "role": "admin", "domain": "shop.example.org"})
        assert response.status_code == 303, f"POST {url} answered {response.status_code}"
        assert response.headers["Location"] == "/portal/billing", url
        refused.append(rule.endpoint)
    assert len(refused) >= 20
    db_session.expire_all()
    assert db_session.scalars(select(Page.title).where(Page.tenant_id == tenant.id)).all() == \
        pages_before
    page = client.get("/portal/billing", follow_redirects=True).get_data(as_text=True)
    assert "Your account is suspended" in page
    # Reading still works, and so does choosing the language to read it in.
    assert client.get("/portal/pages").status_code == 200
    client.post("/portal/profile", data={"csrf_token": token, "language": "nl"})
    assert "Je account is geblokkeerd" in client.get("/portal/billing").get_data(as_text=True)
