"""The custom domain: the plan gate, the DNS records to create, domains that are refused."""

import pytest
from sqlalchemy import select

from db.models import Tenant
from tenants.domains import verification_value

import factories
from support import csrf_token


@pytest.fixture
def pro_client(app, db_session, client, sign_in):
    tenant = factories.tenant(app, db_session, plan="professional")
    sign_in(tenant.owner_email)
    client.tenant = tenant
    return client


def submit(client, domain):
    return client.post("/portal/domain", data={"domain": domain,
                                               "csrf_token": csrf_token(client, "/portal/domain")})


def stored(db_session, tenant) -> str | None:
    return db_session.scalar(select(Tenant.custom_domain).where(Tenant.id == tenant.id))


def test_starter_gets_the_upgrade_page(owner_client):
    token = csrf_token(owner_client, "/portal/")
    for response in (owner_client.get("/portal/domain"),
                     owner_client.post("/portal/domain", data={"domain": "shop.example.com",
                                                                "csrf_token": token})):
        page = response.get_data(as_text=True)
        assert response.status_code == 403
        assert "Custom domain is not part of your plan" in page and "Professional" in page


def test_a_domain_shows_the_dns_records_to_create(app, db_session, pro_client):
    tenant = pro_client.tenant
    response = submit(pro_client, "  Shop.Example.COM. ")
    assert response.status_code == 303
    page = pro_client.get("/portal/domain").get_data(as_text=True)
    assert stored(db_session, tenant) == "shop.example.com"
    assert "<td>CNAME</td><td><code>shop.example.com</code></td>" \
           f"<td><code>{tenant.subdomain}.example.test</code></td>" in page
    value = verification_value(app.config["SECRET_KEY"], tenant.id)
    assert f"<td>TXT</td><td><code>_contyzr.shop.example.com</code></td><td><code>{value}</code></td>" in page
    assert "Verification will follow" in page and "we check it automatically" not in page

    removed = pro_client.post("/portal/domain/remove",
                              data={"csrf_token": csrf_token(pro_client, "/portal/domain")})
    assert removed.status_code == 303 and stored(db_session, tenant) is None
    assert "_contyzr." not in pro_client.get("/portal/domain").get_data(as_text=True)


def test_invalid_domains_are_refused_beside_the_field(db_session, pro_client):
    for domain, message in (("", "Enter your domain"),
                            ("localhost", "Enter only the domain"),
                            ("http://shop.example.com/", "without http://"),
                            ("-shop.example.com", "Enter only the domain"),
                            ("203.0.113.7", "not an IP address"),
                            ("shop.example.test", "Addresses under example.test are ours"),
                            (".".join(["a" * 63] * 4) + ".com", "at most 253 characters")):
        response = submit(pro_client, domain)
        assert response.status_code == 422 and message in response.get_data(as_text=True), domain
    assert stored(db_session, pro_client.tenant) is None


def test_a_domain_of_another_site_is_refused(app, db_session, pro_client):
    other = factories.tenant(app, db_session)
    other.custom_domain = "taken.example.com"
    db_session.commit()
    response = submit(pro_client, "TAKEN.example.com")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "already in use by another Contyzr site" in page
    assert 'value="taken.example.com"' in page
    assert stored(db_session, pro_client.tenant) is None


def test_editors_see_the_records_but_cannot_change_them(app, db_session, client, sign_in):
    tenant = factories.tenant(app, db_session, plan="professional")
    tenant.custom_domain = "www.example.org"
    editor = factories.user(db_session, tenant, role="editor")
    sign_in(editor.email)
    page = client.get("/portal/domain").get_data(as_text=True)
    assert "_contyzr.www.example.org" in page and "Only owners and admins can change the domain" in page
    assert submit(client, "shop.example.org").status_code == 403
    assert stored(db_session, tenant) == "www.example.org"
