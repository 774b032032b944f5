"""Every mail arrives in its recipient's language: the welcome mail in the signup's, an
invitation in the inviter's, the others in each user's own setting; money and dates in that
language's formats, dates in the tenant's time zone."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from db.models import Invite, Invoice, Tenant, User
from emails import mails as mail_contexts
from emails.render import render
from tenants import lifecycle
from tenants.notifications import set_contact_notifications
from worker.jobs.mail import deliver_mail
from worker.services import services

import factories
from support import csrf_token, invoice, post_event, run_jobs, stripe_event


def welcome_mail_of(app, client, db_session, mails, language):
    signup = factories.signup(db_session, company="Bakkerij Blum", language=language)
    db_session.commit()
    event = stripe_event("invoice.paid", invoice(signup.stripe_customer_id, "sub_x",
                                                 signup_id=signup.id))
    assert post_event(client, event).status_code == 200
    run_jobs(app)
    [mail] = mails.emails
    assert mail["body"]["to"] == [signup.email]
    return mail["body"]


def test_a_dutch_signup_gets_its_welcome_mail_in_dutch(app, client, db_session, mails):
    body = welcome_mail_of(app, client, db_session, mails, "nl")

    assert body["subject"] == "Welkom bij Contyzr: de site van Bakkerij Blum staat online"
    assert "Bedankt voor je keuze voor Contyzr" in body["text"]
    assert "Deze link verloopt over 7 dagen:" in body["text"]
    assert "Met vriendelijke groet,\nHet Contyzr-team" in body["text"]
    assert re.search(r"http://localhost/signin/[0-9a-f]{64}\n", body["text"])  # still a link
    assert '<html lang="nl">' in body["html"]
    assert "Inloggen op je portaal</a>" in body["html"]
    assert "Werkt de knop niet?" in body["html"]
    for english in ("Welcome", "Thanks", "Sign in", "Best regards", "expires"):
        assert english not in body["subject"] + body["text"] + body["html"]


def test_an_english_signup_gets_its_welcome_mail_in_english(app, client, db_session, mails):
    body = welcome_mail_of(app, client, db_session, mails, "en")

    assert body["subject"] == "Welcome to Contyzr: the site for Bakkerij Blum is live"
    assert "This link expires in 7 days:" in body["text"] and "Best regards," in body["text"]
    assert '<html lang="en">' in body["html"] and "Sign in to your portal</a>" in body["html"]
    assert "Bedankt" not in body["text"] + body["html"]


def test_a_dutch_owners_dunning_mail_shows_dutch_money_and_a_local_dutch_date(
        app, db_session, redis, mails):
    tenant = factories.tenant(app, db_session, company="Bakkerij Blum", language="nl")
    db_session.get(Tenant, tenant.id).time_zone = "Europe/Amsterdam"
    failed = Invoice(id="in_dutch", customer_id="cus_dutch", status="open", currency="eur",
                     amount_due=2417, attempt_count=1, created=datetime.now(UTC),
                     hosted_invoice_url="https://invoice.stripe.test/i/in_dutch")
    effects = lifecycle.Effects()
    # Seven days of grace end at 23:30 UTC on 11 January: in Amsterdam it is 12 January then.
    lifecycle.payment_failed(db_session, services(app).catalog, services(app).urls,
                             db_session.get(Tenant, tenant.id), failed, effects,
                             now=datetime(2027, 1, 4, 23, 30, tzinfo=UTC))
    db_session.commit()
    with app.app_context():
        for key in effects.mail_keys:
            deliver_mail(key)

    [mail] = mails.emails
    body = mail["body"]
    assert body["subject"] == "Actie nodig: de betaling voor Bakkerij Blum is mislukt"
    assert "de laatste betaling van €\xa024,17 voor Bakkerij Blum" in body["text"]
    assert "<strong>€\xa024,17</strong>" in body["html"]
    assert "de site op 12 januari 2027 geblokkeerd" in body["text"]
    assert "de site op 12 januari 2027 geblokkeerd" in body["html"]
    assert "11 januari" not in body["text"] and "€24.17" not in body["text"]


def signed_in(app, email):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.PASSWORD,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    return client


def test_an_invitation_from_a_dutch_portal_arrives_in_dutch_and_the_member_stays_dutch(
        app, db_session, redis, mails):
    tenant = factories.tenant(app, db_session, company="Bakkerij Blum", language="nl")
    mails.state.reset()
    owner = signed_in(app, tenant.owner_email)  # the portal speaks the owner's Dutch
    sent = owner.post("/portal/team/invites", data={
        "email": "nieuw@example.com", "role": "editor",
        "csrf_token": csrf_token(owner, "/portal/team")})
    assert sent.status_code == 303
    run_jobs(app)

    [mail] = mails.emails
    body = mail["body"]
    assert body["subject"] == f"{tenant.owner_email} nodigt je uit voor Bakkerij Blum op Contyzr"
    assert "met de rol redacteur" in body["text"] and "Accepteer de uitnodiging hier:" in body["text"]
    assert "Uitnodiging accepteren</a>" in body["html"]
    row = db_session.scalar(select(Invite).where(Invite.email == "nieuw@example.com"))
    assert row.language == "nl"

    link = re.search(r"http://localhost(/invites/[0-9a-f]{64})", body["text"]).group(1)
    invitee = app.test_client()
    accepted = invitee.post(link, data={"password": factories.PASSWORD,
                                        "csrf_token": csrf_token(invitee, link)})
    assert accepted.status_code == 303
    db_session.expire_all()
    member = db_session.scalar(select(User).where(User.email == "nieuw@example.com"))
    assert member.language == "nl"


def test_a_contact_message_reaches_each_member_in_their_own_language(
        app, client, db_session, redis, mails):
    tenant = factories.tenant(app, db_session, company="Bakery Blum")  # an English site
    dutch = factories.user(db_session, tenant, role="editor")
    dutch.language = "nl"
    set_contact_notifications(db_session, tenant.id, dutch.id, True)
    db_session.commit()
    mails.state.reset()
    host = {"Host": f"{tenant.subdomain}.example.test"}
    page = client.get("/contact", headers=host).get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    with pytest.MonkeyPatch.context() as patch:  # a person takes a few seconds to fill it in
        patch.setattr("tenants.contact.MIN_FILL_SECONDS", 0)
        answer = client.post("/contact", headers=host, data={
            "form_token": token, "page": "contact", "website": "", "name": "Ann Visitor",
            "email": "ann@example.com", "message": "Bezorgen jullie in Utrecht?"})
    assert answer.status_code == 200
    run_jobs(app)

    received = {m["body"]["to"][0]: m["body"] for m in mails.emails}
    assert set(received) == {tenant.owner_email, dutch.email}
    in_dutch, in_english = received[dutch.email], received[tenant.owner_email]
    assert in_dutch["subject"] == "Nieuw bericht van Ann Visitor via de site van Bakery Blum"
    assert "schreef via het contactformulier op /contact" in in_dutch["text"]
    assert "Inbox openen</a>" in in_dutch["html"]
    assert in_english["subject"] == "New message from Ann Visitor through the site of Bakery Blum"
    assert "wrote through the contact form on /contact" in in_english["text"]
    assert "Open the inbox</a>" in in_english["html"]
    for body in (in_dutch, in_english):
        assert "Bezorgen jullie in Utrecht?" in body["text"]


def test_a_language_the_product_does_not_speak_falls_back_to_dutch():
    mail = render("suspended", "xx", **mail_contexts.suspended("Acme", "https://b.test/"))

    assert mail.subject == "De site van Acme is geblokkeerd"
    assert '<html lang="nl">' in mail.html
