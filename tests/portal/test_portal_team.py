"""The team: invitations by mail, accepting them, roles, removal, the users limit, the last owner.

Every person has their own test client used without ``with``, so no two share a request's
``g`` (signed-in user, database session, CSRF token)."""

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time
from redis.exceptions import RedisError
from sqlalchemy import select

from db.base import utcnow
from db.models import Invite, User
from tenants import team as team_rules
from worker.jobs.mail import deliver_mail, sweep_mail
from worker.services import services

import factories
from support import csrf_token, run_jobs


def signed_in(app, email):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.PASSWORD,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    return client


def post(client, url, **data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/portal/team")})


def invite(client, email, role="editor"):
    return post(client, "/portal/team/invites", email=email, role=role)


def flashed(client, response) -> str:
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True)


def invite_row(db_session, tenant, email) -> Invite:
    return db_session.scalar(select(Invite).where(Invite.tenant_id == tenant.id, Invite.email == email))


def member(db_session, tenant, email) -> User | None:
    return db_session.scalar(select(User).where(User.tenant_id == tenant.id, User.email == email))


@pytest.fixture
def tenant(app, db_session, redis, mails):
    """A Starter tenant (2 team members) with its owner; no mail accepted yet."""
    row = factories.tenant(app, db_session)
    mails.state.reset()
    return row


@pytest.fixture
def owner_client(app, tenant):
    return signed_in(app, tenant.owner_email)


@pytest.fixture
def editor(db_session, tenant):
    return factories.user(db_session, tenant, role="editor")


def test_invitation_mail_and_accepting_it(app, db_session, tenant, owner_client, mails):
    page = flashed(owner_client, invite(owner_client, "New.Person@example.com"))
    assert "Invitation sent to new.person@example.com" in page and "Open invitations" in page
    run_jobs(app)
    assert [m["body"]["to"] for m in mails.emails] == [["new.person@example.com"]]
    text = mails.emails[0]["body"]["text"]
    assert tenant.company in text and "editor" in text
    link = re.search(r"http://localhost(/invites/[0-9a-f]{64})", text).group(1)
    row = invite_row(db_session, tenant, "new.person@example.com")
    assert link.rsplit("/", 1)[1] not in row.token_hash  # only the hash is stored

    with app.app_context():
        deliver_mail(team_rules.invite_mail_key(row.id))  # a retried job sends nothing more
    assert len(mails.emails) == 1

    invitee = app.test_client()
    opened = invitee.get(link).get_data(as_text=True)
    assert f"Join {tenant.company}" in opened and "new.person@example.com" in opened
    weak = invitee.post(link, data={"password": "short", "csrf_token": csrf_token(invitee, link)})
    assert weak.status_code == 422 and "Use at least 10 characters." in weak.get_data(as_text=True)
    accepted = invitee.post(link, data={"password": factories.PASSWORD,
                                        "csrf_token": csrf_token(invitee, link)})
    assert accepted.status_code == 303 and accepted.headers["Location"] == "/portal/"
    team_page = invitee.get("/portal/team").get_data(as_text=True)
    assert "new.person@example.com (you)" in team_page
    assert "Only owners and admins can invite people" in team_page
    assert member(db_session, tenant, "new.person@example.com").role == "editor"
    again = invitee.get(link)
    assert again.status_code == 410 and "already accepted" in again.get_data(as_text=True)
    assert "Open invitations" not in owner_client.get("/portal/team").get_data(as_text=True)


def test_users_limit_counts_open_invitations_and_revoking_frees_the_place(app, db_session, tenant,
                                                                          owner_client, mails):
    assert invite(owner_client, "first@example.com").status_code == 303
    refused = flashed(owner_client, invite(owner_client, "second@example.com"))
    assert "reached your plan&#39;s limit of 2 team members" in refused
    assert invite_row(db_session, tenant, "second@example.com") is None

    first = invite_row(db_session, tenant, "first@example.com")
    revoked = flashed(owner_client, post(owner_client, f"/portal/team/invites/{first.id}/revoke"))
    assert "The invitation for first@example.com is revoked" in revoked
    assert invite(owner_client, "second@example.com").status_code == 303
    run_jobs(app)
    assert [m["body"]["to"] for m in mails.emails] == [["second@example.com"]]  # none for revoked


def test_invitations_that_are_refused(app, owner_client, editor, monkeypatch):
    monkeypatch.setitem(services(app).catalog.plan("starter").limits, "users", 10)
    taken = invite(owner_client, editor.email.upper())
    assert taken.status_code == 422 and "is already on your team" in taken.get_data(as_text=True)
    bad = invite(owner_client, "not an address", role="boss")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "does not look like an email address" in page
    assert 'value="not an address"' in page
    assert invite(owner_client, "nul\x00@example.com").status_code == 400
    assert invite(owner_client, "twice@example.com").status_code == 303
    twice = invite(owner_client, "twice@example.com")
    assert twice.status_code == 422 and "is already invited" in twice.get_data(as_text=True)


def test_an_invitation_is_kept_and_mailed_when_its_delivery_cannot_be_enqueued(
        app, db_session, tenant, owner_client, monkeypatch, mails):
    def redis_down(*args):
        raise RedisError("connection refused")

    monkeypatch.setattr("worker.jobs.mail.enqueue_delivery", redis_down)
    page = flashed(owner_client, invite(owner_client, "later@example.com"))
    assert "Invitation sent to later@example.com" in page
    assert invite_row(db_session, tenant, "later@example.com") is not None
    monkeypatch.undo()
    run_jobs(app)
    assert mails.emails == []  # nothing was enqueued; the outbox row waits for the sweep
    with freeze_time(utcnow() + timedelta(minutes=2)), app.app_context():
        assert sweep_mail() == 1
    run_jobs(app)
    assert [m["body"]["to"] for m in mails.emails] == [["later@example.com"]]


def test_an_address_with_an_account_elsewhere_cannot_accept(app, db_session, tenant):
    elsewhere = factories.tenant(app, db_session)
    owner = member(db_session, tenant, tenant.owner_email)
    row = team_rules.invite(db_session, services(app).catalog, tenant, owner, elsewhere.owner_email,
                            "admin", app.config["SECRET_KEY"])
    db_session.commit()
    link = f"/invites/{team_rules.invite_token(app.config['SECRET_KEY'], row.id)}"
    invitee = app.test_client()
    opened = invitee.get(link)
    assert opened.status_code == 409 and "already has a Contyzr account" in opened.get_data(as_text=True)
    assert invitee.get("/invites/not-a-real-token").status_code == 404


def test_editors_see_the_team_but_cannot_change_it(app, tenant, editor):
    editor_client = signed_in(app, editor.email)
    page = editor_client.get("/portal/team").get_data(as_text=True)
    assert tenant.owner_email in page and "Send invitation" not in page
    assert invite(editor_client, "friend@example.com").status_code == 403
    assert post(editor_client, f"/portal/team/members/{editor.id}/role", role="owner").status_code == 403


def test_roles_change_but_the_last_owner_stays(app, db_session, tenant, owner_client, editor):
    owner = member(db_session, tenant, tenant.owner_email)
    page = flashed(owner_client, post(owner_client, f"/portal/team/members/{editor.id}/role", role="admin"))
    assert f"{editor.email} is now admin" in page

    demote = flashed(owner_client, post(owner_client, f"/portal/team/members/{owner.id}/role", role="admin"))
    assert "is the only owner and stays one" in demote
    unconfirmed = flashed(owner_client, post(owner_client, f"/portal/team/members/{owner.id}/remove"))
    assert "tick “Yes, remove me”" in unconfirmed
    remove = flashed(owner_client, post(owner_client, f"/portal/team/members/{owner.id}/remove", confirm="y"))
    assert "is the only owner and cannot be removed" in remove

    admin_client = signed_in(app, editor.email)
    assert "Only owners can" in flashed(admin_client, post(
        admin_client, f"/portal/team/members/{owner.id}/remove"))
    assert "Only owners can" in flashed(admin_client, post(
        admin_client, f"/portal/team/members/{editor.id}/role", role="owner"))

    post(owner_client, f"/portal/team/members/{editor.id}/role", role="owner")
    left = post(owner_client, f"/portal/team/members/{owner.id}/remove", confirm="y")
    assert left.status_code == 303 and left.headers["Location"] == "/login"
    assert member(db_session, tenant, tenant.owner_email) is None
    assert owner_client.get("/portal/").status_code == 302


def test_a_removed_member_is_signed_out_at_once(app, owner_client, editor):
    editor_client = signed_in(app, editor.email)
    assert editor_client.get("/portal/").status_code == 200
    page = flashed(owner_client, post(owner_client, f"/portal/team/members/{editor.id}/remove"))
    assert f"{editor.email} is removed from the team" in page
    assert editor_client.get("/portal/").status_code == 302
    refused = editor_client.post("/login", data={"email": editor.email, "password": factories.PASSWORD,
                                                 "csrf_token": csrf_token(editor_client, "/login")})
    assert refused.status_code == 401


def test_another_tenants_members_and_invitations_are_not_found(app, db_session, owner_client):
    other = factories.tenant(app, db_session)
    theirs = member(db_session, other, other.owner_email)
    their_invite = Invite(tenant_id=other.id, email="x@example.com", role="editor", token_hash="0" * 64,
                          expires_at=theirs.created_at.replace(year=2100))
    db_session.add(their_invite)
    db_session.commit()
    for url, data in ((f"/portal/team/members/{theirs.id}/role", {"role": "editor"}),
                      (f"/portal/team/members/{theirs.id}/remove", {}),
                      (f"/portal/team/invites/{their_invite.id}/revoke", {}),
                      ("/portal/team/members/99999999999999999999/remove", {})):
        assert post(owner_client, url, **data).status_code == 404
    assert member(db_session, other, other.owner_email).role == "owner"
