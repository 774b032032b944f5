"""Own domains in the portal: the plan gate, adding a pair, the records to create, names that
are refused, another site's domain, removing one, the main address, "Check now", editors."""

import importlib.util
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from db.base import utcnow
from db.models import CustomDomain, DomainStatus
from tenants.domains import verification_value

import factories
from support import csrf_token, queued_job_ids


@pytest.fixture
def pro_client(app, db_session, client, sign_in, redis):
    tenant = factories.tenant(app, db_session, plan="professional")
    sign_in(tenant.owner_email)
    client.tenant = tenant
    return client


def token(client):
    return csrf_token(client, "/portal/domain")


def submit(client, domain):
    return client.post("/portal/domain", data={"domain": domain, "csrf_token": token(client)})


def act(client, action, domain_id):
    return client.post(f"/portal/domain/{action}",
                       data={"domain_id": "" if domain_id is None else domain_id,
                             "csrf_token": token(client)})


def rows(db_session, tenant) -> dict[str, CustomDomain]:
    db_session.expire_all()
    found = db_session.scalars(select(CustomDomain).where(CustomDomain.tenant_id == tenant.id))
    return {row.name: row for row in found}


def set_status(db_session, row_id, status=DomainStatus.VERIFIED):
    db_session.execute(update(CustomDomain).where(CustomDomain.id == row_id)
                       .values(status=status, verified_at=utcnow()))
    db_session.commit()


def test_starter_gets_the_upgrade_page(owner_client):
    csrf = csrf_token(owner_client, "/portal/")
    for response in (owner_client.get("/portal/domain"),
                     owner_client.post("/portal/domain", data={"domain": "shop.example.com",
                                                                "csrf_token": csrf})):
        page = response.get_data(as_text=True)
        assert response.status_code == 403
        assert "Custom domain is not part of your plan" in page and "Professional" in page


def test_an_apex_comes_with_its_www_and_both_show_the_records_to_create(app, db_session,
                                                                         pro_client):
    tenant = pro_client.tenant
    response = submit(pro_client, "  Bakery-Blum.NL. ")
    assert response.status_code == 303
    added = rows(db_session, tenant)
    assert sorted(added) == ["bakery-blum.nl", "www.bakery-blum.nl"]
    now = utcnow()
    for row in added.values():
        assert row.status == DomainStatus.PENDING and not row.is_primary
        assert row.next_check_at <= now
        assert now + timedelta(minutes=59) < row.checks_often_until <= now + timedelta(hours=1)

    page = pro_client.get("/portal/domain").get_data(as_text=True)
    assert "bakery-blum.nl and www.bakery-blum.nl added" in page
    assert page.count("Waiting for the DNS records") == 2 and "Not checked yet" in page
    value = verification_value(app.config["SECRET_KEY"], tenant.id)
    # Both names are proven by one TXT record at the apex; an apex points with A/AAAA records.
    assert page.count(f"<td>TXT</td><td><code>_contyzr.bakery-blum.nl</code></td>"
                      f"<td><code>{value}</code></td>") == 2
    assert "<td>A</td><td><code>bakery-blum.nl</code></td><td><code>127.0.0.1</code></td>" in page
    assert "<td>AAAA</td><td><code>bakery-blum.nl</code></td><td><code>::1</code></td>" in page
    if importlib.util.find_spec("worker.jobs.domains") is not None:  # the verifier's job
        assert len(queued_job_ids(app, "maintenance")) == 2


def test_a_subdomain_points_at_the_site_with_a_cname_and_is_not_added_twice(db_session,
                                                                            pro_client):
    tenant = pro_client.tenant
    assert submit(pro_client, "shop.example.com").status_code == 303
    assert submit(pro_client, "SHOP.example.com").status_code == 303  # checked again, not doubled
    assert list(rows(db_session, tenant)) == ["shop.example.com"]
    page = pro_client.get("/portal/domain").get_data(as_text=True)
    assert ("<td>CNAME</td><td><code>shop.example.com</code></td>"
            f"<td><code>{tenant.subdomain}.example.test</code></td>") in page


def test_a_unicode_domain_is_stored_as_idna_and_shown_as_written(db_session, pro_client):
    assert submit(pro_client, "Shop.Bäckerei-Müller.de").status_code == 303
    assert list(rows(db_session, pro_client.tenant)) == ["shop.xn--bckerei-mller-bfb28a.de"]
    page = pro_client.get("/portal/domain").get_data(as_text=True)
    assert "shop.bäckerei-müller.de" in page
    assert "<code>shop.bäckerei-müller.de</code> <small>(<code>shop.xn--bckerei-mller-bfb28a.de" \
           "</code>)</small>" in page


@pytest.mark.parametrize("domain, message", [
    ("", "Enter your domain"),
    ("localhost", "Enter only the domain"),
    ("http://shop.example.com/", "without http://"),
    ("-shop.example.com", "Enter only the domain"),
    ("203.0.113.7", "not an IP address"),
    ("[2001:db8::1]", "not an IP address"),
    ("*.example.com", "Wildcard domains cannot be used"),
    ("shop.example.test", "Addresses under example.test are ours"),
    ("Example.TEST", "Addresses under example.test are ours"),
    (".".join(["a" * 63] * 4) + ".com", "at most 253 characters"),
    ("a" * 64 + ".com", "each part at most 63"),
    ("shop.example.invalidtld", "not a domain on the internet"),
])
def test_names_that_cannot_be_a_tenants_domain_are_refused_beside_the_field(db_session, pro_client,
                                                                            domain, message):
    response = submit(pro_client, domain)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert 'class="error"' in page
    assert rows(db_session, pro_client.tenant) == {}


def test_a_domain_verified_by_another_site_is_refused_an_unverified_claim_is_not(
        app, db_session, pro_client):
    other = factories.tenant(app, db_session, plan="professional")
    db_session.add_all([
        CustomDomain(tenant_id=other.id, name="taken.example.com", status=DomainStatus.VERIFIED),
        CustomDomain(tenant_id=other.id, name="claimed.example.com")])
    db_session.commit()

    response = submit(pro_client, "TAKEN.example.com")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This domain is already connected to another Contyzr site." in page
    assert 'value="TAKEN.example.com"' in page  # what was typed stays in the field
    assert rows(db_session, pro_client.tenant) == {}

    assert submit(pro_client, "claimed.example.com").status_code == 303  # whoever proves it wins
    assert list(rows(db_session, pro_client.tenant)) == ["claimed.example.com"]
    assert rows(db_session, other)["claimed.example.com"].status == DomainStatus.PENDING


def test_removing_a_name_removes_that_one_and_another_sites_is_not_found(app, db_session,
                                                                         pro_client):
    tenant = pro_client.tenant
    submit(pro_client, "www.bakery.nl")
    added = rows(db_session, tenant)
    other = factories.tenant(app, db_session, plan="professional")
    theirs = CustomDomain(tenant_id=other.id, name="theirs.example.com")
    db_session.add(theirs)
    db_session.commit()

    response = act(pro_client, "remove", theirs.id)
    assert response.status_code == 404
    assert "This domain is not connected to your site." in response.get_data(as_text=True)
    assert act(pro_client, "remove", "not-a-number").status_code == 404
    assert act(pro_client, "check", theirs.id).status_code == 404
    assert act(pro_client, "primary", theirs.id).status_code == 404
    assert list(rows(db_session, other)) == ["theirs.example.com"]

    response = act(pro_client, "remove", added["www.bakery.nl"].id)
    assert response.status_code == 303
    page = pro_client.get("/portal/domain").get_data(as_text=True)
    assert "www.bakery.nl is removed" in page
    assert list(rows(db_session, tenant)) == ["bakery.nl"]  # its partner stays


def test_only_a_verified_domain_becomes_the_main_address(db_session, pro_client):
    tenant = pro_client.tenant
    submit(pro_client, "shop.example.com")
    submit(pro_client, "blog.example.com")
    added = rows(db_session, tenant)
    shop, blog = added["shop.example.com"].id, added["blog.example.com"].id

    refused = act(pro_client, "primary", shop)
    assert refused.status_code == 422
    assert "Only a verified domain can be your main address" in refused.get_data(as_text=True)
    assert not any(row.is_primary for row in rows(db_session, tenant).values())

    set_status(db_session, shop)
    set_status(db_session, blog)
    page = pro_client.get("/portal/domain").get_data(as_text=True)
    assert page.count("Make primary") == 2
    assert act(pro_client, "primary", shop).status_code == 303
    assert act(pro_client, "primary", blog).status_code == 303
    assert {name for name, row in rows(db_session, tenant).items() if row.is_primary} == \
        {"blog.example.com"}
    page = pro_client.get("/portal/domain").get_data(as_text=True)
    assert "Its main address is <strong>blog.example.com</strong>" in page

    assert act(pro_client, "primary", None).status_code == 303  # back to the subdomain
    assert not any(row.is_primary for row in rows(db_session, tenant).values())
    # Removing the main address hands that role back to the subdomain.
    act(pro_client, "primary", blog)
    act(pro_client, "remove", blog)
    page = pro_client.get("/portal/domain").get_data(as_text=True)
    assert "That is its main address" in page


def test_check_now_checks_at_once_and_often_and_the_page_shows_the_last_check(db_session,
                                                                               pro_client):
    submit(pro_client, "shop.example.com")
    row = rows(db_session, pro_client.tenant)["shop.example.com"]
    later = utcnow() + timedelta(hours=5)
    db_session.execute(update(CustomDomain).where(CustomDomain.id == row.id).values(
        next_check_at=later, checks_often_until=None, status=DomainStatus.MISCONFIGURED,
        last_checked_at=utcnow(),
        detail="Your domain points to 192.0.2.1 instead of your Contyzr address."))
    db_session.commit()
    page = pro_client.get("/portal/domain").get_data(as_text=True)
    assert "The DNS records are not right yet" in page and "Last checked" in page
    assert "Your domain points to 192.0.2.1 instead of your Contyzr address." in page

    assert act(pro_client, "check", row.id).status_code == 303
    checked = rows(db_session, pro_client.tenant)["shop.example.com"]
    assert checked.next_check_at <= utcnow() < checked.checks_often_until


def test_editors_see_the_domains_but_cannot_change_them(app, db_session, client, sign_in, redis):
    tenant = factories.tenant(app, db_session, plan="professional")
    row = CustomDomain(tenant_id=tenant.id, name="www.example.org")
    db_session.add(row)
    db_session.commit()
    editor = factories.user(db_session, tenant, role="editor")
    sign_in(editor.email)
    page = client.get("/portal/domain").get_data(as_text=True)
    assert "_contyzr.example.org" in page and "Only owners and admins can change the domains" in page
    assert "Check now" not in page and "Remove" not in page
    csrf = csrf_token(client, "/portal/domain")
    assert client.post("/portal/domain", data={"domain": "shop.example.org",
                                               "csrf_token": csrf}).status_code == 403
    for action in ("remove", "primary", "check"):
        assert client.post(f"/portal/domain/{action}", data={
            "domain_id": row.id, "csrf_token": csrf}).status_code == 403
    assert list(rows(db_session, tenant)) == ["www.example.org"]
