"""The portal's foundations: dashboard, feature gates, roles, billing page."""

import re

import factories
from support import csrf_token


def test_dashboard_shows_plan_site_and_usage(owner_client):
    page = owner_client.get("/portal/").get_data(as_text=True)
    tenant = owner_client.tenant
    assert "Starter" in page and f"{tenant.subdomain}.example.test" in page
    assert "Pages</strong>:" in page and "of 10" in page
    users = re.search(r'<div class="usage" id="usage-users">(.*?)</div>', page, re.S)
    assert users, page
    assert re.search(r"</strong>:\s*1 of 2\s*</p>", users.group(1)), users.group(1)


def test_portal_needs_sign_in(client):
    response = client.get("/portal/")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_billing_page_lists_invoices_and_opens_the_stripe_portal(app, db_session, client, sign_in,
                                                                 stripe_fake):
    import httpx

    customer = httpx.post(f"{stripe_fake.url}/v1/customers", data={"email": "b@example.com"},
                          headers={"Authorization": "Bearer sk_test_suite"}).json()
    tenant = factories.tenant(app, db_session)
    tenant.stripe_customer_id = customer["id"]
    db_session.commit()
    sign_in(tenant.owner_email)
    assert "No invoices yet" in client.get("/portal/billing").get_data(as_text=True)
    response = client.post("/portal/billing/portal",
                           data={"csrf_token": csrf_token(client, "/portal/billing")})
    assert response.status_code == 303
    assert response.headers["Location"].startswith(stripe_fake.url + "/billing_portal/")


def test_editors_cannot_open_billing_portal(app, db_session, client, sign_in):
    tenant = factories.tenant(app, db_session)
    editor = factories.user(db_session, tenant, role="editor")
    sign_in(editor.email)
    response = client.post("/portal/billing/portal",
                           data={"csrf_token": csrf_token(client, "/portal/billing")})
    assert response.status_code == 403
