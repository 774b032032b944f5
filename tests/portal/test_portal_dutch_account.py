"""The portal's account screens for a Dutch user: team, billing (amounts and dates in Dutch
formats, in the tenant's time zone), the custom domain and the theme, with the rules'
refusals translated where they are shown."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from db.models import CustomDomain, Invoice, User
from tenants import domain_checks

import factories
from support import csrf_token

NBSP = "\xa0"


def text(response) -> str:
    return re.sub(r"[ \t\r\n]+", " ", response.get_data(as_text=True))


def signed_in(app, email):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.PASSWORD,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    return client


@pytest.fixture
def dutch(app, db_session, redis, mails):
    """A Dutch Professional tenant (custom domains) and its signed-in owner."""
    tenant = factories.tenant(app, db_session, plan="professional", language="nl")
    tenant.client = signed_in(app, tenant.owner_email)
    return tenant


def test_the_team_page_is_dutch_with_a_dutch_date(app, db_session, dutch):
    db_session.execute(User.__table__.update().where(User.email == dutch.owner_email)
                       .values(last_login_at=datetime(2027, 1, 2, 9, 0, tzinfo=UTC)))
    db_session.commit()
    page = text(dutch.client.get("/portal/team"))
    assert "Teamleden" in page and "Iemand uitnodigen" in page and "Uitnodiging versturen" in page
    assert "Eigenaar" in page and "(jij)" in page and "Laatst ingelogd" in page
    assert "2 jan 2027" in page
    for english in ("Members", "Invite someone", "Send invitation", "Last sign-in", "Owner"):
        assert english not in page


def test_a_refused_invitation_is_explained_in_dutch(app, db_session, dutch):
    client = dutch.client
    response = client.post("/portal/team/invites", data={
        "email": dutch.owner_email, "role": "editor",
        "csrf_token": csrf_token(client, "/portal/team")})
    assert response.status_code == 422
    assert f"{dutch.owner_email} zit al in je team." in text(response)


def test_billing_shows_dutch_amounts_and_dates_in_the_tenants_time_zone(app, db_session, dutch):
    # 23:30 UTC on 1 January is already 2 January in Amsterdam (the tenant's time zone).
    db_session.add(Invoice(id="in_dutch_test", customer_id=dutch.stripe_customer_id,
                           status="paid", currency="eur", amount_due=2417, amount_paid=2417,
                           created=datetime(2027, 1, 1, 23, 30, tzinfo=UTC),
                           hosted_invoice_url="https://invoice.stripe.com/i/test"))
    db_session.commit()
    page = text(dutch.client.get("/portal/billing"))
    assert f"€{NBSP}24,17" in page
    assert "2 januari 2027" in page and "1 januari 2027" not in page
    assert "Facturen" in page and "Excl. btw" in page and "Totaal" in page and "betaald" in page
    assert "per maand" in page and "Abonnement, kaart en facturen beheren" in page
    assert "Invoices" not in page and "paid" not in page.replace("betaald", "")


def test_the_domain_page_is_dutch_and_so_is_a_stored_check_detail(app, db_session, dutch):
    client = dutch.client
    response = client.post("/portal/domain", data={
        "domain": "bakkerij-blom.nl", "csrf_token": csrf_token(client, "/portal/domain")})
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "bakkerij-blom.nl en www.bakkerij-blom.nl toegevoegd" in page
    assert "Wacht op de DNS-records" in page and "Nog niet gecontroleerd." in page
    assert "bewijst dat het domein van jou is" in page and "Nu controleren" in page
    assert "Waiting for the DNS records" not in page and "Check now" not in page

    # The verifier stores its finding in English (staff read it); the portal shows it in Dutch.
    row = db_session.scalar(select(CustomDomain).where(CustomDomain.name == "bakkerij-blom.nl"))
    row.detail = domain_checks.TXT_MISSING % {"where": "_contyzr.bakkerij-blom.nl",
                                              "value": "cz-abc"}
    row.last_checked_at = datetime(2027, 3, 5, 8, 0, tzinfo=UTC)
    db_session.commit()
    page = text(client.get("/portal/domain"))
    assert ("Het TXT-record _contyzr.bakkerij-blom.nl is niet gevonden; maak het aan met de "
            "waarde “cz-abc”.") in page
    assert "Laatst gecontroleerd op 05-03-2027, 09:00." in page  # Amsterdam time
    assert "was not found" not in page
    db_session.expire_all()
    assert db_session.get(CustomDomain, row.id).detail.startswith("The TXT record")


def test_a_refused_domain_is_explained_in_dutch(app, dutch):
    client = dutch.client
    response = client.post("/portal/domain", data={
        "domain": "192.168.1.1", "csrf_token": csrf_token(client, "/portal/domain")})
    assert response.status_code == 422
    assert "Vul een domeinnaam in, geen IP-adres." in text(response)


def test_the_theme_page_and_its_refusals_are_dutch(app, dutch):
    client = dutch.client
    page = text(client.get("/portal/theme"))
    assert "Hoofdkleur" in page and "Uiterlijk opslaan" in page and "Lettertypes" in page
    assert "Schreefloos: strak en eenvoudig" in page and "leesbaar" in page
    assert "Save the look" not in page and "Primary colour" not in page
    form = {"csrf_token": csrf_token(client, "/portal/theme"), "primary_color": "#1f3a5f",
            "accent_color": "#e8a33d", "background_color": "#777777", "font": "sans",
            "tagline": "x" * 161, "logo_media_id": "", "favicon_media_id": ""}
    response = client.post("/portal/theme", data=form)
    assert response.status_code == 422
    assert "Houd de slogan op hoogstens 160 tekens (nu 161)." in text(response)
    form["tagline"] = "Vers van de bakker."
    response = client.post("/portal/theme", data=form)
    assert response.status_code == 422
    assert ("Tekst op de achtergrondkleur zou een contrast van maar 4.4:1 hebben; er is "
            "minstens 4.5:1 nodig om leesbaar te zijn.") in text(response)


def test_after_switching_to_english_the_same_screens_are_english(app, db_session, dutch):
    client = dutch.client
    response = client.post("/portal/profile", data={
        "language": "en", "csrf_token": csrf_token(client, "/portal/profile")})
    assert response.status_code == 303
    assert "Members" in text(client.get("/portal/team"))
    assert "Invoices" in text(client.get("/portal/billing"))
    assert "Add domain" in text(client.get("/portal/domain"))
    assert "Save the look" in text(client.get("/portal/theme"))
