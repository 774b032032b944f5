"""Every mail goes through the outbox: with Redis down, an invitation and a password reset are
answered as usual, and both mails go out once Redis is back and the mail sweep runs."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from db.base import utcnow
from db.models import MailLog
from worker.jobs.mail import sweep_mail

import factories
from support import csrf_token, run_jobs, share_transaction


def test_an_invitation_and_a_reset_asked_while_redis_is_down_are_mailed_afterwards(
        app, make_app, db_session, redis, mails):
    tenant = factories.tenant(app, db_session)
    mails.state.reset()
    down = make_app(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
    share_transaction(down, app)

    owner = down.test_client()
    assert owner.post("/login", data={"email": tenant.owner_email, "password": factories.PASSWORD,
                                      "csrf_token": csrf_token(owner, "/login")}).status_code == 302
    invited = owner.post("/portal/team/invites", data={
        "email": "later@example.com", "role": "editor",
        "csrf_token": csrf_token(owner, "/portal/team")})
    assert invited.status_code == 303
    assert "Invitation sent to later@example.com" in owner.get(invited.headers["Location"]) \
        .get_data(as_text=True)

    stranger = down.test_client()
    reset = stranger.post("/password/reset", data={
        "email": tenant.owner_email, "csrf_token": csrf_token(stranger, "/password/reset")},
        follow_redirects=True)
    assert reset.status_code == 200
    assert "If an account exists for that address" in reset.get_data(as_text=True)

    run_jobs(app)  # Redis is back, but no delivery was ever enqueued
    assert mails.emails == []
    with freeze_time(utcnow() + timedelta(minutes=2)), app.app_context():
        assert sweep_mail() == 2
    run_jobs(app)
    sent = {m["body"]["to"][0]: m["body"]["text"] for m in mails.emails}
    assert sorted(sent) == sorted(["later@example.com", tenant.owner_email])
    tokens = [re.search(r"http://localhost/invites/([0-9a-f]{64})", sent["later@example.com"])[1],
              re.search(r"http://localhost/password/reset/([0-9a-f]{64})",
                        sent[tenant.owner_email])[1]]
    stored = json.dumps([row.params for row in db_session.scalars(select(MailLog))])
    assert not any(token in stored for token in tokens)  # the outbox never holds a link's token
    with app.app_context():
        assert sweep_mail() == 0  # delivered once: nothing left to sweep
    run_jobs(app)
    assert len(mails.emails) == 2
