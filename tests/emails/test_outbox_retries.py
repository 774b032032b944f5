"""A queued mail that keeps failing is retried with backoff, then marked failed for staff; a
mail the provider refuses is failed at once. Neither is swept for ever."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from db.models import MailLog
from emails import outbox
from worker.jobs.mail import enqueue_delivery, sweep_mail
from worker.services import services

from support import run_jobs


@pytest.fixture
def queued(app, db_session, redis, mails):
    def queue(key: str) -> None:
        assert outbox.queue_mail(db_session, key=key, kind="reactivated", to="owner@bakery.test",
                                 params={"company": "Bakkerij Blum",
                                         "portal_url": "http://localhost/portal/"})
        db_session.commit()
        with app.app_context():
            enqueue_delivery(services(app).queues, key)
    return queue


def row(db_session, key: str) -> MailLog:
    return db_session.scalar(select(MailLog).where(MailLog.idempotency_key == key)
                             .execution_options(populate_existing=True))


def sweep(app) -> int:
    with app.app_context():
        return sweep_mail()


def test_a_mail_that_keeps_failing_backs_off_then_fails_visibly(app, db_session, queued, mails):
    mails.state.fail_next(500, count=10_000)
    queued("reactivated-1-a")
    run_jobs(app)
    first = row(db_session, "reactivated-1-a")
    assert (first.status, first.attempts) == ("pending", 4)  # the job and its three retries
    assert "500" in first.last_error
    assert sweep(app) == 0  # four attempts: not due before the mail is 16 minutes old

    db_session.execute(update(MailLog).where(MailLog.idempotency_key == "reactivated-1-a")
                       .values(created_at=MailLog.created_at - timedelta(minutes=17)))
    db_session.commit()
    assert sweep(app) == 1
    run_jobs(app)
    assert row(db_session, "reactivated-1-a").attempts == 8

    db_session.execute(update(MailLog).where(MailLog.idempotency_key == "reactivated-1-a")
                       .values(attempts=outbox.MAX_ATTEMPTS,
                               created_at=MailLog.created_at - timedelta(minutes=10_000)))
    db_session.commit()
    assert sweep(app) == 0
    assert row(db_session, "reactivated-1-a").status == "failed"
    listed = app.test_cli_runner().invoke(args=["mail", "failed"])
    assert "reactivated-1-a" in listed.output and "mail: 1 failed" in listed.output
    assert mails.emails == []

    mails.state.reset()
    retried = app.test_cli_runner().invoke(args=["mail", "retry", "reactivated-1-a"])
    assert retried.exit_code == 0, retried.output
    run_jobs(app)
    assert row(db_session, "reactivated-1-a").status == "sent"
    assert [m["body"]["to"] for m in mails.emails] == [["owner@bakery.test"]]


def test_a_mail_the_provider_refuses_is_failed_at_once_and_not_swept(app, db_session, queued,
                                                                      mails):
    mails.state.fail_next(422)
    queued("reactivated-2-a")
    run_jobs(app)
    refused = row(db_session, "reactivated-2-a")
    assert (refused.status, refused.attempts) == ("failed", 1)
    db_session.execute(update(MailLog).where(MailLog.idempotency_key == "reactivated-2-a")
                       .values(created_at=MailLog.created_at - timedelta(minutes=10_000)))
    db_session.commit()
    assert sweep(app) == 0
    assert mails.emails == []
