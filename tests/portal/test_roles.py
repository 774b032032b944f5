"""Roles in the portal: every portal route answers each role as the role matrix says.

Owners and admins run the account (billing, export, API keys, team and domain changes);
editors edit the site. A refused member gets the 403 page and nothing happens.
"""

import uuid

import pytest
from sqlalchemy import func, select

from db.base import utcnow
from db.models import CustomDomain, Invite, Invoice, User
from db.models.tenants import ROLES
from web.tenant_portal.roles import MANAGERS, PORTAL_ROLES

import factories
from support import csrf_token, url_for_rule

# Form fields that make a POST to any portal route a plausible request.
FORM = {"title": "Changed", "slug": "changed", "name": "Changed", "price": "9.95",
        "email": "new.member@example.com", "role": "admin", "domain": "shop.example.org",
        "confirm": "y", "type": "text", "heading": "Hi", "body": "Words."}


def portal_routes(app):
    """(rule, method) for every portal route; the ones that remove something come last."""
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("portal.")]
    rules.sort(key=lambda rule: any(word in rule.endpoint for word in ("delete", "remove", "revoke")))
    for rule in rules:
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


def signed_in(app, email):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.PASSWORD,
                                            "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    return client


def test_every_portal_route_is_in_the_role_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint.startswith("portal.")}
    assert endpoints - PORTAL_ROLES.keys() == set(), "portal routes missing in roles.PORTAL_ROLES"
    assert PORTAL_ROLES.keys() - endpoints == set(), "roles.PORTAL_ROLES names unknown endpoints"


@pytest.mark.parametrize("role", ROLES)
def test_every_portal_route_answers_each_role_as_the_matrix_says(app, db_session, redis, mails,
                                                                  role):
    tenant = factories.tenant(app, db_session, plan="enterprise")  # every feature: no plan gate
    rows = factories.one_of_each(db_session, tenant)
    email = tenant.owner_email if role == "owner" else factories.user(db_session, tenant, role).email
    client = signed_in(app, email)
    token = csrf_token(client, "/portal/")
    refused, allowed = [], []
    for rule, method in portal_routes(app):
        url = url_for_rule(rule, rows)
        response = client.get(url) if method == "GET" else \
            client.post(url, data={**FORM, "csrf_token": token})
        answer = f"{role}: {method} {url} answered {response.status_code}"
        if role in PORTAL_ROLES[rule.endpoint]:
            assert response.status_code != 403 and response.status_code < 500, answer
            allowed.append(rule.endpoint)
        else:
            assert response.status_code == 403, answer
            assert "<h1>Not allowed</h1>" in response.get_data(as_text=True), answer
            refused.append(rule.endpoint)
    assert set(allowed) | set(refused) == PORTAL_ROLES.keys()
    assert bool(refused) == (role not in MANAGERS)
    # The refused requests changed nothing: the team, its invitation and its key are as they were.
    if role not in MANAGERS:
        db_session.expire_all()
        assert db_session.get(User, rows["member_id"]).role == "editor"
        assert db_session.get(Invite, rows["invite_id"]) is not None
        assert db_session.scalar(select(func.count()).select_from(CustomDomain)
                                 .where(CustomDomain.tenant_id == tenant.id)) == 0


def test_editors_do_not_see_billing_or_invoices(app, db_session, redis, mails):
    tenant = factories.tenant(app, db_session)
    db_session.add(Invoice(id=f"in_{uuid.uuid4().hex[:20]}", customer_id=tenant.stripe_customer_id,
                           status="paid", amount_due=2900, amount_paid=2900, created=utcnow(),
                           hosted_invoice_url="https://invoice.stripe.com/i/acct_only_managers"))
    db_session.commit()
    editor = signed_in(app, factories.user(db_session, tenant, "editor").email)
    admin = signed_in(app, factories.user(db_session, tenant, "admin").email)

    refused = editor.get("/portal/billing")
    assert refused.status_code == 403
    assert "acct_only_managers" not in refused.get_data(as_text=True)
    assert editor.get("/portal/export").status_code == 403
    assert editor.get("/portal/api-keys").status_code == 403
    shown = admin.get("/portal/billing")
    assert shown.status_code == 200 and "acct_only_managers" in shown.get_data(as_text=True)

    # The navigation offers an editor only what an editor may open.
    dashboard = editor.get("/portal/").get_data(as_text=True)
    assert 'href="/portal/pages"' in dashboard and 'href="/portal/team"' in dashboard
    assert 'href="/portal/billing"' not in dashboard and 'href="/portal/api-keys"' not in dashboard
    assert 'href="/portal/billing"' in admin.get("/portal/").get_data(as_text=True)


def test_a_suspended_tenants_editor_is_sent_to_the_dashboard_not_to_billing(app, db_session,
                                                                             redis, mails):
    tenant = factories.tenant(app, db_session)
    editor = signed_in(app, factories.user(db_session, tenant, "editor").email)
    token = csrf_token(editor, "/portal/pages/new")
    tenant.billing_state, tenant.suspended_at = "suspended", utcnow()
    db_session.commit()
    response = editor.post("/portal/pages/new", data={"csrf_token": token, "title": "New"})
    assert response.status_code == 303 and response.headers["Location"] == "/portal/"
    page = editor.get("/portal/").get_data(as_text=True)
    assert "an owner or admin can update the payment details" in page
    assert 'href="/portal/billing"' not in page
