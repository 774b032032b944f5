"""The contact form on a tenant's site: a visitor's message is stored once, each member who
opted in (the owner, unless they opted out) gets one mail, and spam, replays, bad input and
floods are turned away without a 500."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from limits import RateLimitItemPerHour
from sqlalchemy import func, select

from db.models import ContactSubmission, MailLog, User
from db.models.tenants import BillingState, Role
from tenants import contact
from worker.jobs.mail import deliver_mail, enqueue_delivery, sweep_mail
from worker.services import services

import factories
from support import run_jobs

MESSAGE = "Do you deliver to Utrecht on Saturdays?"


def host(tenant) -> dict:
    return {"Host": f"{tenant.subdomain}.example.test"}


def stored(db_session, tenant) -> list[ContactSubmission]:
    db_session.expire_all()
    return list(db_session.scalars(select(ContactSubmission)
                                   .where(ContactSubmission.tenant_id == tenant.id)))


def the_form(client, tenant, path="/contact") -> dict:
    """What a visitor's browser would send from the form on ``path``, filled in."""
    page = client.get(path, headers=host(tenant))
    assert page.status_code == 200
    token = re.search(r'name="form_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return {"form_token": token, "page": "contact", "website": "", "name": "Ann Visitor",
            "email": "ann@example.com", "message": MESSAGE}


def send(client, tenant, clock, wait=5, address="203.0.113.7", **changes):
    form = {**the_form(client, tenant), **changes}
    clock.tick(wait)
    return client.post("/contact", data=form, headers=host(tenant),
                       environ_base={"REMOTE_ADDR": address})


class Clock:
    """Frozen time that the test moves on (``tick``) and may let go (``stop``: for the jobs)."""

    def __init__(self):
        self._freezer = freeze_time(datetime(2026, 5, 4, 10, 0, tzinfo=UTC))
        self._frozen = self._freezer.start()
        self.running = True

    def tick(self, seconds):
        self._frozen.tick(seconds)

    def stop(self):
        if self.running:
            self._freezer.stop()
            self.running = False


@pytest.fixture
def clock():
    frozen = Clock()
    yield frozen
    frozen.stop()


@pytest.fixture
def tenant(app, db_session, redis, mails):
    return factories.tenant(app, db_session)


def test_a_visitor_sends_a_message_and_the_owner_gets_one_mail(app, client, db_session, tenant,
                                                              clock, mails):
    answer = send(client, tenant, clock)

    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "Thank you" in page and tenant.company in page  # in the site's own layout
    assert "/theme.css" in page
    [row] = stored(db_session, tenant)
    assert (row.name, row.email, row.message, row.page_slug) == (
        "Ann Visitor", "ann@example.com", MESSAGE, "contact")
    assert row.handled_at is None
    clock.stop()
    run_jobs(app)
    [mail] = mails.emails
    assert mail["body"]["to"] == [tenant.owner_email]
    assert MESSAGE in mail["body"]["text"] and "ann@example.com" in mail["body"]["text"]
    assert "/portal/inbox" in mail["body"]["text"]
    assert mail["body"]["reply_to"] == "ann@example.com"  # the owner's reply goes to the visitor


def test_the_form_posts_to_its_own_route_with_a_token_and_a_honeypot(client, tenant):
    page = client.get("/contact", headers=host(tenant)).get_data(as_text=True)
    assert 'action="/contact"' in page and 'name="form_token"' in page
    assert 'name="website"' in page and 'name="csrf_token"' not in page


def test_each_rendering_gets_its_own_token(client, tenant):
    assert the_form(client, tenant)["form_token"] != the_form(client, tenant)["form_token"]


@pytest.mark.parametrize("changes", [{"website": "http://spam.example"}, {"wait": 1}])
def test_spam_is_answered_like_success_counted_and_not_stored(app, client, db_session, tenant,
                                                             clock, mails, changes):
    answer = send(client, tenant, clock, **changes)

    assert answer.status_code == 200 and "Thank you" in answer.get_data(as_text=True)
    assert stored(db_session, tenant) == []
    assert contact.spam_count(services(app).redis, tenant.id) == 1
    clock.stop()
    run_jobs(app)
    assert mails.emails == []


def test_a_replayed_form_is_refused_and_stored_once(client, db_session, tenant, clock):
    form = the_form(client, tenant)
    clock.tick(5)
    first = client.post("/contact", data=form, headers=host(tenant))
    again = client.post("/contact", data=form, headers=host(tenant))

    assert first.status_code == 200
    assert again.status_code == 409 and "sent already" in again.get_data(as_text=True)
    assert len(stored(db_session, tenant)) == 1


def test_a_form_older_than_a_day_is_refused(client, db_session, tenant, clock):
    answer = send(client, tenant, clock, wait=contact.MAX_AGE_SECONDS + 1)

    assert answer.status_code == 400 and "expired" in answer.get_data(as_text=True)
    assert stored(db_session, tenant) == []


def test_a_token_of_another_site_or_a_forged_one_is_refused(app, client, db_session, tenant,
                                                            clock):
    other = factories.tenant(app, db_session)
    theirs = the_form(client, other)["form_token"]
    for token in (theirs, "forged", ""):
        answer = send(client, tenant, clock, form_token=token)
        assert answer.status_code == 400, token
        assert "could not be checked" in answer.get_data(as_text=True)
    assert stored(db_session, tenant) == [] and stored(db_session, other) == []


@pytest.mark.parametrize(("changes", "status", "words"), [
    ({"name": ""}, 422, "your name"),
    ({"name": "N" * 101}, 422, "at most 100"),
    ({"email": "not an address"}, 422, "valid email"),
    ({"email": ""}, 422, "valid email"),
    ({"message": "   "}, 422, "write a message"),
    ({"message": "x" * 5001}, 422, "at most 5000"),
])
def test_bad_input_is_refused_in_the_sites_look(client, db_session, tenant, clock, changes,
                                                status, words):
    answer = send(client, tenant, clock, **changes)

    page = answer.get_data(as_text=True)
    assert answer.status_code == status
    assert words in page and tenant.company in page and "/theme.css" in page
    assert stored(db_session, tenant) == []


@pytest.mark.parametrize("changes", [{"message": "hi\x00there"}, {"name": "Ann\x00"},
                                     {"email": "ann\x00@example.com"}])
def test_nul_bytes_are_refused(client, db_session, tenant, clock, changes):
    answer = send(client, tenant, clock, **changes)

    assert answer.status_code == 400
    assert stored(db_session, tenant) == []


def test_the_rules_refuse_nul_bytes_too():
    from db.refusals import Refused

    with pytest.raises(Refused, match="cannot be sent") as refused:
        contact._clean("Ann\x00", "a@example.com", "hi")
    assert refused.value.status == 400


def test_the_longest_allowed_input_is_stored(client, db_session, tenant, clock):
    answer = send(client, tenant, clock, name="N" * 100, message="m" * 5000)

    assert answer.status_code == 200
    [row] = stored(db_session, tenant)
    assert len(row.name) == 100 and len(row.message) == 5000


def test_one_address_may_send_five_messages_in_ten_minutes(client, db_session, tenant, clock):
    for _ in range(5):
        assert send(client, tenant, clock).status_code == 200
    refused = send(client, tenant, clock)
    elsewhere = send(client, tenant, clock, address="198.51.100.9")

    assert refused.status_code == 429 and "Too many" in refused.get_data(as_text=True)
    assert elsewhere.status_code == 200
    assert len(stored(db_session, tenant)) == 6
    clock.tick(11 * 60)
    assert send(client, tenant, clock).status_code == 200


def test_a_site_receives_a_limited_number_an_hour(app, client, db_session, tenant, clock,
                                                  monkeypatch):
    monkeypatch.setattr(contact, "PER_TENANT", RateLimitItemPerHour(2))
    other = factories.tenant(app, db_session)
    for number in range(2):
        assert send(client, tenant, clock, address=f"198.51.100.{number}").status_code == 200
    assert send(client, tenant, clock, address="198.51.100.50").status_code == 429
    assert send(client, other, clock, address="198.51.100.50").status_code == 200
    assert len(stored(db_session, tenant)) == 2


@pytest.mark.parametrize(("state", "status"), [(BillingState.SUSPENDED, 503),
                                               (BillingState.CLOSED, 410)])
def test_a_suspended_or_closed_site_stores_nothing(client, db_session, tenant, clock, mails,
                                                   state, status):
    form = the_form(client, tenant)
    tenant.billing_state = state
    db_session.commit()
    clock.tick(5)

    answer = client.post("/contact", data=form, headers=host(tenant))

    assert answer.status_code == status
    assert stored(db_session, tenant) == []


def test_other_posts_to_the_site_are_still_refused(client, tenant):
    assert client.post("/", headers=host(tenant)).status_code == 405
    assert client.post("/contact/x", headers=host(tenant)).status_code == 405


def test_the_storefront_has_no_contact_form(client, db_session):
    assert client.post("/contact", data={"name": "x"}).status_code == 404
    assert db_session.scalar(select(func.count()).select_from(ContactSubmission)) == 0


def test_the_messages_stay_with_their_own_site(app, client, db_session, tenant, clock):
    other = factories.tenant(app, db_session)
    assert send(client, tenant, clock).status_code == 200

    assert len(stored(db_session, tenant)) == 1
    assert stored(db_session, other) == []


# Who is mailed: every member who opted in (tenants.notifications), one mail each.

def opt_in(db_session, user, on=True):
    user.contact_notifications = on
    db_session.commit()
    return user


def owner_of(db_session, tenant):
    return db_session.scalar(select(User).where(User.tenant_id == tenant.id,
                                                User.role == Role.OWNER))


def test_an_editor_who_opted_in_gets_a_mail_of_their_own(app, client, db_session, tenant, clock,
                                                         mails):
    editor = opt_in(db_session, factories.user(db_session, tenant, role="editor"))
    factories.user(db_session, tenant, role="admin")  # not opted in: no mail

    assert send(client, tenant, clock).status_code == 200
    clock.stop()
    run_jobs(app)

    assert sorted(mail["body"]["to"][0] for mail in mails.emails) == sorted(
        [tenant.owner_email, editor.email])
    for mail in mails.emails:
        assert MESSAGE in mail["body"]["text"]
        assert mail["body"]["reply_to"] == "ann@example.com"
    assert len(stored(db_session, tenant)) == 1


def test_an_owner_who_opted_out_gets_no_mail_and_the_message_is_still_stored(
        app, client, db_session, tenant, clock, mails):
    opt_in(db_session, owner_of(db_session, tenant), on=False)

    assert send(client, tenant, clock).status_code == 200
    clock.stop()
    run_jobs(app)

    assert mails.emails == []
    assert db_session.scalar(select(func.count()).select_from(MailLog)
                             .where(MailLog.tenant_id == tenant.id)) == 0
    [row] = stored(db_session, tenant)
    assert row.message == MESSAGE


def test_repeated_delivery_jobs_and_sweeps_send_no_mail_twice(app, client, db_session, tenant,
                                                              clock, mails):
    opt_in(db_session, factories.user(db_session, tenant, role="editor"))
    assert send(client, tenant, clock).status_code == 200
    clock.stop()
    run_jobs(app)
    assert len(mails.emails) == 2

    keys = list(db_session.scalars(select(MailLog.idempotency_key)
                                   .where(MailLog.tenant_id == tenant.id)))
    assert len(set(keys)) == 2  # one row per member
    with app.app_context():
        for key in keys:  # the job runs again (rq is at least once), by hand and queued
            deliver_mail(key)
            enqueue_delivery(services(app).queues, key)
        sweep_mail()
    run_jobs(app)

    assert len(mails.emails) == 2


def test_owners_start_opted_in_and_other_new_members_opted_out(app, client, db_session, tenant,
                                                               clock, mails):
    editor = factories.user(db_session, tenant, role="editor")
    admin = factories.user(db_session, tenant, role="admin")

    assert owner_of(db_session, tenant).contact_notifications is True
    assert (editor.contact_notifications, admin.contact_notifications) == (False, False)
    assert send(client, tenant, clock).status_code == 200
    clock.stop()
    run_jobs(app)
    assert [mail["body"]["to"] for mail in mails.emails] == [[tenant.owner_email]]


def test_the_owner_provisioning_creates_starts_opted_in(app, db_session, mails):
    provisioned = factories.tenant(app, db_session, provision=True)

    assert owner_of(db_session, provisioned).contact_notifications is True
