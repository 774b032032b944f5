"""The portal's inbox: what visitors sent through the site's contact form, for that tenant's
team only; reading and marking handled for everyone, deleting and exporting for managers; each
member switches their own mails for new messages."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from db.models import ContactSubmission, Invite, User
from plans.catalog import default_catalog
from tenants import team as team_rules
from tenants.tokens import token_hash

import factories
from support import csrf_token, run_jobs


def host(tenant) -> dict:
    return {"Host": f"{tenant.subdomain}.example.test"}


def visitor_writes(client, tenant, name="Ann Visitor", message="Do you deliver on Saturdays?"):
    """A visitor fills in the form on the site's contact page and sends it a minute later."""
    start = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    with freeze_time(start) as clock:
        page = client.get("/contact", headers=host(tenant)).get_data(as_text=True)
        token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
        clock.tick(60)
        answer = client.post("/contact", headers=host(tenant), data={
            "form_token": token, "page": "contact", "website": "", "name": name,
            "email": "ann@example.com", "message": message})
    assert answer.status_code == 200
    return answer


def add_message(db_session, tenant, name, minutes_ago=0, message="Hello", **fields):
    row = ContactSubmission(tenant_id=tenant.id, name=name, email="v@example.com",
                            message=message,
                            created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
                            **fields)
    db_session.add(row)
    db_session.commit()
    return row


def test_a_visitors_message_reaches_the_owners_inbox_and_one_mail(app, owner_client, db_session,
                                                                 mails):
    tenant = owner_client.tenant
    visitor_writes(owner_client, tenant, message="Is the <b>oak</b> table in stock?")
    run_jobs(app)

    inbox = owner_client.get("/portal/inbox")
    html = inbox.get_data(as_text=True)
    assert inbox.status_code == 200 and inbox.headers["Cache-Control"] == "no-store"
    assert "Ann Visitor" in html and "ann@example.com" in html
    assert "Is the &lt;b&gt;oak&lt;/b&gt; table" in html and "<b>oak" not in html
    [row] = db_session.scalars(select(ContactSubmission)
                               .where(ContactSubmission.tenant_id == tenant.id)).all()
    page = owner_client.get(f"/portal/inbox/{row.id}").get_data(as_text=True)
    assert "Is the &lt;b&gt;oak&lt;/b&gt; table in stock?" in page and "/contact" in page
    [mail] = mails.emails
    assert mail["body"]["to"] == [tenant.owner_email]
    assert "Is the <b>oak</b> table in stock?" in mail["body"]["text"]


def test_the_inbox_lists_newest_first_and_the_dashboard_counts_the_new(owner_client,
                                                                        db_session):
    tenant = owner_client.tenant
    add_message(db_session, tenant, "Oldest", minutes_ago=30)
    add_message(db_session, tenant, "Newest", minutes_ago=1)
    add_message(db_session, tenant, "Handled", minutes_ago=10, handled_at=datetime.now(UTC))

    html = owner_client.get("/portal/inbox").get_data(as_text=True)
    assert html.index("Newest") < html.index("Handled") < html.index("Oldest")
    dashboard = owner_client.get("/portal/").get_data(as_text=True)
    assert re.search(r'id="inbox-count">.*?2 new messages', dashboard, re.S)
    assert 'href="/portal/inbox"' in dashboard


def test_marking_handled_takes_it_off_the_count(owner_client, db_session):
    tenant = owner_client.tenant
    row = add_message(db_session, tenant, "Ann")
    token = csrf_token(owner_client, f"/portal/inbox/{row.id}")

    answer = owner_client.post(f"/portal/inbox/{row.id}/handled", data={"csrf_token": token})

    assert answer.status_code == 303
    db_session.expire_all()
    assert db_session.get(ContactSubmission, row.id).handled_at is not None
    dashboard = owner_client.get("/portal/").get_data(as_text=True)
    assert re.search(r'id="inbox-count">.*?0 new messages', dashboard, re.S)


def test_a_manager_deletes_a_message(owner_client, db_session):
    row_id = add_message(db_session, owner_client.tenant, "Spammy").id
    token = csrf_token(owner_client, f"/portal/inbox/{row_id}")

    answer = owner_client.post(f"/portal/inbox/{row_id}/delete", data={"csrf_token": token})

    assert answer.status_code == 303
    db_session.expire_all()
    assert db_session.get(ContactSubmission, row_id) is None
    assert f'id="message-{row_id}"' not in owner_client.get("/portal/inbox").get_data(as_text=True)


def test_the_export_is_a_csv_a_spreadsheet_reads_as_text(owner_client, db_session):
    tenant = owner_client.tenant
    add_message(db_session, tenant, "=HYPERLINK(\"http://evil.example\")", minutes_ago=5,
                message="line one\nline, two")
    add_message(db_session, tenant, "Bob", message="@SUM(A1)")

    answer = owner_client.get("/portal/inbox/export.csv")

    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0] == ["received", "name", "email", "page", "message", "handled"]
    assert [row[1] for row in rows[1:]] == ["Bob", "'=HYPERLINK(\"http://evil.example\")"]
    assert rows[1][4] == "'@SUM(A1)" and rows[2][4] == "line one\nline, two"


def test_an_editor_reads_and_marks_handled_but_cannot_delete_or_export(app, client, db_session,
                                                                       sign_in, mails):
    tenant = factories.tenant(app, db_session)
    editor = factories.user(db_session, tenant, role="editor")
    row = add_message(db_session, tenant, "Ann")
    sign_in(editor.email)

    page = client.get(f"/portal/inbox/{row.id}")
    assert page.status_code == 200 and "Delete" not in page.get_data(as_text=True)
    token = csrf_token(client, f"/portal/inbox/{row.id}")
    assert client.post(f"/portal/inbox/{row.id}/delete",
                       data={"csrf_token": token}).status_code == 403
    assert client.get("/portal/inbox/export.csv").status_code == 403
    assert client.post(f"/portal/inbox/{row.id}/handled",
                       data={"csrf_token": token}).status_code == 303
    db_session.expire_all()
    assert db_session.get(ContactSubmission, row.id).handled_at is not None


def test_another_tenants_inbox_never_shows_it(app, client, db_session, sign_in, mails):
    mine = factories.tenant(app, db_session, company="Mine")
    theirs = factories.tenant(app, db_session, company="Theirs")
    visitor_writes(client, theirs, name="Their Visitor")
    their_row = db_session.scalar(select(ContactSubmission)
                                  .where(ContactSubmission.tenant_id == theirs.id))
    sign_in(mine.owner_email)

    assert "Their Visitor" not in client.get("/portal/inbox").get_data(as_text=True)
    assert "Their Visitor" not in client.get("/portal/inbox/export.csv").get_data(as_text=True)
    assert client.get(f"/portal/inbox/{their_row.id}").status_code == 404


@pytest.mark.parametrize("path", ["/portal/inbox", "/portal/inbox/export.csv"])
def test_the_inbox_is_for_signed_in_members_only(client, path):
    assert client.get(path).status_code in (302, 401)


def test_the_api_lists_the_keys_tenants_submissions_newest_first(app, client, db_session, mails):
    from tenants.api_keys import create_key

    mine = factories.tenant(app, db_session)
    theirs = factories.tenant(app, db_session)
    older = add_message(db_session, mine, "Older", minutes_ago=20, handled_at=datetime.now(UTC))
    newer = add_message(db_session, mine, "Newer", minutes_ago=2, message="Call me <please>")
    add_message(db_session, theirs, "Theirs")
    _row, key = create_key(db_session, mine.id, "Inbox sync")
    db_session.commit()

    answer = client.get("/api/v1/submissions", headers={"Authorization": f"Bearer {key}"})

    assert answer.status_code == 200
    data = answer.get_json()["data"]
    assert [item["id"] for item in data] == [newer.id, older.id]
    assert data[0]["message"] == "Call me <please>" and data[0]["handled_at"] is None
    assert data[1]["handled_at"] is not None and data[0]["email"] == "v@example.com"
    assert client.get("/api/v1/submissions").status_code == 401


def spam_arrives(client, tenant, fill_seconds=60, honeypot="http://spam.example"):
    """A bot sends the site's form: the hidden field filled in, or sent too fast."""
    with freeze_time(datetime(2026, 5, 4, 10, 0, tzinfo=UTC)) as clock:
        page = client.get("/contact", headers=host(tenant)).get_data(as_text=True)
        token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
        clock.tick(fill_seconds)
        answer = client.post("/contact", headers=host(tenant), data={
            "form_token": token, "page": "contact", "website": honeypot, "name": "Bot",
            "email": "bot@example.com", "message": "Cheap pills"})
    assert answer.status_code == 200  # answered like a success


def test_the_inbox_says_how_much_spam_was_blocked(owner_client, db_session):
    tenant = owner_client.tenant
    assert "spam" not in owner_client.get("/portal/inbox").get_data(as_text=True)

    spam_arrives(owner_client, tenant)
    html = owner_client.get("/portal/inbox").get_data(as_text=True)
    shown = re.sub(r"<[^>]+>", " ", html)  # the page's text: a random form token may hold "Bot"
    assert "1 spam message blocked" in shown and "Bot" not in shown

    spam_arrives(owner_client, tenant, fill_seconds=1, honeypot="")
    assert "2 spam messages blocked" in owner_client.get("/portal/inbox").get_data(as_text=True)
    assert db_session.scalar(select(ContactSubmission)
                             .where(ContactSubmission.tenant_id == tenant.id)) is None


def test_the_inbox_works_without_redis_and_leaves_the_spam_line_out(owner_client, db_session,
                                                                     monkeypatch):
    from redis.exceptions import ConnectionError as RedisDown

    from tenants import contact

    add_message(db_session, owner_client.tenant, "Ann")

    def down(*_args):
        raise RedisDown("Connection refused")

    monkeypatch.setattr(contact, "spam_count", down)
    answer = owner_client.get("/portal/inbox")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Ann" in html and "spam" not in html


# Each member's own mails for new messages (tenants.notifications).

def mailed_to(db_session, *users) -> list[bool]:
    db_session.expire_all()
    return [db_session.get(User, user.id).contact_notifications for user in users]


def save_notifications(client, on: bool, **extra):
    data = {"csrf_token": csrf_token(client, "/portal/inbox"), **extra}
    if on:
        data["contact_notifications"] = "y"
    return client.post("/portal/inbox/notifications", data=data)


def owner_row(db_session, tenant) -> User:
    return db_session.scalar(select(User).where(User.tenant_id == tenant.id,
                                                User.email == tenant.owner_email))


def test_an_editor_opts_in_on_the_inbox_page_and_gets_the_mails_too(app, client, db_session,
                                                                     sign_in, mails):
    tenant = factories.tenant(app, db_session)
    editor = factories.user(db_session, tenant, role="editor")
    sign_in(editor.email)
    page = client.get("/portal/inbox").get_data(as_text=True)
    assert "Mail me new messages from the contact form" in page
    assert not re.search(r'<input[^>]*checked[^>]*name="contact_notifications"', page)

    saved = save_notifications(client, on=True)
    assert saved.status_code == 303
    page = client.get("/portal/inbox").get_data(as_text=True)
    assert "are now mailed to you" in page
    assert re.search(r'<input[^>]*checked[^>]*name="contact_notifications"', page)
    visitor_writes(client, tenant)
    run_jobs(app)
    assert sorted(mail["body"]["to"][0] for mail in mails.emails) == sorted(
        [tenant.owner_email, editor.email])

    assert save_notifications(client, on=False).status_code == 303
    assert mailed_to(db_session, editor) == [False]
    assert "no longer mailed to you" in client.get("/portal/inbox").get_data(as_text=True)


def test_an_owner_opts_out_and_gets_no_mail_but_sees_the_message(app, owner_client, db_session,
                                                                 mails):
    tenant = owner_client.tenant
    assert save_notifications(owner_client, on=False).status_code == 303

    visitor_writes(owner_client, tenant)
    run_jobs(app)

    assert mails.emails == []
    assert "Ann Visitor" in owner_client.get("/portal/inbox").get_data(as_text=True)


def test_the_setting_changes_only_the_signed_in_members_own_row(app, client, db_session,
                                                                 sign_in):
    tenant = factories.tenant(app, db_session)
    owner = owner_row(db_session, tenant)
    editor = factories.user(db_session, tenant, role="editor")
    sign_in(editor.email)

    # Naming the owner changes nothing of theirs: the form has no way to name a member.
    for name in ("user_id", "member_id", "id", "email"):
        target = owner.email if name == "email" else owner.id
        assert save_notifications(client, on=False, **{name: target}).status_code == 303
        assert mailed_to(db_session, owner, editor) == [True, False]
    owner.contact_notifications = False
    db_session.commit()
    assert save_notifications(client, on=True, user_id=owner.id).status_code == 303
    assert mailed_to(db_session, owner, editor) == [False, True]


def test_the_setting_without_the_forms_token_changes_nothing(owner_client, db_session):
    owner = owner_row(db_session, owner_client.tenant)

    answer = owner_client.post("/portal/inbox/notifications", data={})

    assert answer.status_code == 400
    assert mailed_to(db_session, owner) == [True]


def test_an_invited_member_starts_without_mails(app, db_session):
    tenant = factories.tenant(app, db_session)
    db_session.add(Invite(tenant_id=tenant.id, email="new.person@example.com", role="editor",
                          token_hash=token_hash("the-link"),
                          expires_at=datetime.now(UTC) + timedelta(days=7)))
    db_session.flush()

    member = team_rules.accept(db_session, default_catalog(), "the-link", factories.PASSWORD)
    db_session.commit()

    assert mailed_to(db_session, member, owner_row(db_session, tenant)) == [False, True]
