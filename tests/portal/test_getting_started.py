"""The getting-started checklist on the dashboard: the first things a new customer does to make
the seeded site their own. Each step is ticked by what is in the database; the list goes away
once every step is done."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from freezegun import freeze_time
from sqlalchemy import select, update

from db.models import CustomDomain, DomainStatus, Page, Tenant

import factories


def dashboard(client) -> str:
    response = client.get("/portal/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def step(html: str, key: str) -> str:
    """The checklist line of one step ('' when the step is not shown)."""
    found = re.search(rf'<li id="step-{key}"[^>]*>(.*?)</li>', html, re.S)
    return found.group(0) if found else ""


def is_done(html: str, key: str) -> bool:
    line = step(html, key)
    assert line, f"step {key} is not shown"
    return 'class="done"' in line and "Done" in line


def progress(html: str) -> str:
    return re.search(r'id="getting-started-progress">(\d+ of \d+ done)', html).group(1)


def signed_in_owner(app, db_session, sign_in, client, plan):
    tenant = factories.tenant(app, db_session, plan=plan)
    sign_in(tenant.owner_email)
    return tenant


def visitor_writes(client, tenant):
    host = {"Host": f"{tenant.subdomain}.example.test"}
    with freeze_time(datetime(2026, 5, 4, 10, 0, tzinfo=UTC)) as clock:
        page = client.get("/contact", headers=host).get_data(as_text=True)
        token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
        clock.tick(60)
        answer = client.post("/contact", headers=host, data={
            "form_token": token, "page": "contact", "website": "", "name": "Test Owner",
            "email": "owner@example.com", "message": "Does the form work?"})
    assert answer.status_code == 200


def test_a_new_site_starts_with_every_step_open_and_a_link_to_each(app, db_session, client,
                                                                   sign_in, mails):
    tenant = signed_in_owner(app, db_session, sign_in, client, "professional")
    html = dashboard(client)

    assert "Getting started" in html and progress(html) == "0 of 6 done"
    home = db_session.scalar(select(Page).where(Page.tenant_id == tenant.id, Page.slug == "home"))
    links = {
        "theme": "/portal/theme",
        "placeholders": f"/portal/pages/{home.id}",
        "own_page": "/portal/pages/new",
        "contact_form": f"{tenant.subdomain}.",  # the site's own contact page
        "colleague": "/portal/team",
        "domain": "/portal/domain",
    }
    for key, link in links.items():
        assert not is_done(html, key)
        assert re.search(rf'<a href="[^"]*{re.escape(link)}', step(html, key)), key
    assert re.search(r'href="http[^"]*/contact">Send yourself a test message',
                     step(html, "contact_form"))


def test_each_step_is_ticked_when_the_owner_does_it_and_the_list_then_goes(
        app, db_session, client, sign_in, mails):
    tenant = signed_in_owner(app, db_session, sign_in, client, "professional")
    row = db_session.get(Tenant, tenant.id)

    # the theme: a colour other than the template's
    row.site_settings = {**row.site_settings, "primary_color": "#123456"}
    db_session.commit()
    html = dashboard(client)
    assert is_done(html, "theme") and progress(html) == "1 of 6 done"

    # the starter texts: replaced on every published page (a draft may keep them)
    pages = {page.slug: page for page in
             db_session.scalars(select(Page).where(Page.tenant_id == tenant.id))}
    for page in pages.values():
        if page.slug != "about":
            page.blocks = [{k: v for k, v in block.items() if k != "placeholder"}
                           for block in page.blocks]
    db_session.commit()
    html = dashboard(client)
    assert not is_done(html, "placeholders")
    assert f'href="/portal/pages/{pages["about"].id}"' in step(html, "placeholders")
    pages["about"].published = False
    db_session.commit()
    html = dashboard(client)
    assert is_done(html, "placeholders") and progress(html) == "2 of 6 done"

    # a page of their own (not one the template brought)
    db_session.add(Page(tenant_id=tenant.id, slug="opening-hours", title="Opening hours",
                        blocks=[]))
    db_session.commit()
    html = dashboard(client)
    assert is_done(html, "own_page") and progress(html) == "3 of 6 done"

    # the contact form: one message sent through it
    visitor_writes(client, tenant)
    html = dashboard(client)
    assert is_done(html, "contact_form") and progress(html) == "4 of 6 done"

    # a colleague on the team
    factories.user(db_session, tenant, role="editor")
    html = dashboard(client)
    assert is_done(html, "colleague") and progress(html) == "5 of 6 done"

    # the custom domain
    db_session.add(CustomDomain(tenant_id=tenant.id, name="www.example.org"))  # pending
    db_session.commit()
    assert not is_done(dashboard(client), "domain")  # a claim is not a connected domain yet
    db_session.execute(update(CustomDomain).where(CustomDomain.tenant_id == tenant.id)
                       .values(status=DomainStatus.VERIFIED))
    db_session.commit()
    html = dashboard(client)
    assert "Getting started" not in html and 'id="getting-started"' not in html
    assert 'id="usage-pages"' in html  # the rest of the dashboard stays


def test_a_logo_counts_for_the_theme_and_an_open_invite_for_a_colleague(app, db_session, client,
                                                                         sign_in, mails):
    from datetime import timedelta

    from db.base import utcnow
    from db.models import Invite

    tenant = signed_in_owner(app, db_session, sign_in, client, "starter")
    row = db_session.get(Tenant, tenant.id)
    row.site_settings = {**row.site_settings, "logo_media_id": 1}
    db_session.add(Invite(tenant_id=tenant.id, email="colleague@example.com", role="editor",
                          token_hash="x" * 64, expires_at=utcnow() + timedelta(days=7)))
    db_session.commit()

    html = dashboard(client)
    assert is_done(html, "theme") and is_done(html, "colleague")
    assert not is_done(html, "own_page")


def test_starter_has_no_custom_domain_step(app, db_session, client, sign_in, mails):
    signed_in_owner(app, db_session, sign_in, client, "starter")
    html = dashboard(client)
    assert progress(html) == "0 of 5 done"
    assert step(html, "domain") == "" and "Connect your own domain" not in html
