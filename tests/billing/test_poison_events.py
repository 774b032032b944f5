"""An event whose handler fails: attempts counted on the stored event across sweeps, tried
again only after a doubling wait, marked failed after a bounded number of attempts, shown to
staff and brought back by one command; a failure that passes recovers on its own."""

from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from billing import handlers
from db.base import utcnow
from db.models import ProvisioningRun, StripeEvent
from worker.jobs.billing import sweep_events
from worker.queues import BILLING
from worker.services import services

import factories
from support import invoice, post_event, queued_job_ids, run_jobs, stripe_event


def paid_event(client, db_session):
    signup = factories.signup(db_session)
    db_session.commit()
    event = stripe_event("invoice.paid", invoice(signup.stripe_customer_id, "sub_poison",
                                                 signup_id=signup.id))
    assert post_event(client, event).status_code == 200
    return signup, event


def stored(db_session, event) -> StripeEvent:
    row = db_session.get(StripeEvent, event["id"])
    db_session.refresh(row)
    return row


def sweep_at(app, when) -> int:
    """The periodic sweep as it runs at ``when``; the jobs it enqueued are then run."""
    with freeze_time(when), app.app_context():
        enqueued = sweep_events()
    run_jobs(app)
    return enqueued


def break_handler(monkeypatch, failures: int | None = None):
    """invoice.paid fails (every time, or the first ``failures`` times); returns the calls."""
    real, calls = handlers.invoice_paid, []

    def failing(session, deps, obj, outcome):
        calls.append(obj["id"])
        if failures is None or len(calls) <= failures:
            raise RuntimeError(f"handler broken (call {len(calls)})")
        return real(session, deps, obj, outcome)

    monkeypatch.setattr(handlers, "invoice_paid", failing)
    return calls


def test_a_poison_event_backs_off_fails_after_the_bound_and_stops(app, client, db_session,
                                                                   redis, monkeypatch):
    calls = break_handler(monkeypatch)
    signup, event = paid_event(client, db_session)
    run_jobs(app)
    row = stored(db_session, event)
    assert (row.attempts, row.failed_at, row.processed_at) == (1, None, None)
    assert "handler broken (call 1)" in row.last_error

    waits = []
    while row.failed_at is None:
        due = row.next_attempt_at
        waits.append(round((due - utcnow()).total_seconds()))
        # Just before its time the sweep leaves it alone; at its time it is tried again.
        assert sweep_at(app, due - timedelta(seconds=5)) == 0
        assert sweep_at(app, due + timedelta(seconds=1)) == 1
        row = stored(db_session, event)
        assert len(calls) == row.attempts
    assert row.attempts == 8 == len(calls)  # EVENT_MAX_ATTEMPTS
    assert [round(w / 30) for w in waits] == [1, 2, 4, 8, 16, 32, 64]  # doubling from 30 s
    assert row.next_attempt_at is None and "handler broken (call 8)" in row.last_error

    # Given up on: no sweep enqueues it again, however much later.
    for days in (1, 3, 30):
        assert sweep_at(app, utcnow() + timedelta(days=days)) == 0
    assert queued_job_ids(app, BILLING) == [] and len(calls) == 8

    runner = app.test_cli_runner()
    listed = runner.invoke(args=["events", "failed"])
    assert listed.exit_code == 0
    line = next(line for line in listed.output.splitlines() if event["id"] in line)
    assert "invoice.paid" in line and "attempts=8" in line and "handler broken" in line

    monkeypatch.undo()  # the bug is fixed; staff retry it
    retried = runner.invoke(args=["events", "retry", event["id"]])
    assert retried.exit_code == 0, retried.output
    run_jobs(app)
    row = stored(db_session, event)
    assert row.processed_at is not None and row.failed_at is None
    assert event["id"] not in runner.invoke(args=["events", "failed"]).output
    db_session.expire_all()
    assert signup.status == "ready"
    assert db_session.scalar(select(ProvisioningRun.status)
                             .where(ProvisioningRun.signup_id == signup.id)) == "succeeded"


def test_a_transient_failure_recovers_at_the_next_due_sweep(app, client, db_session, redis,
                                                            monkeypatch, mails):
    calls = break_handler(monkeypatch, failures=2)
    signup, event = paid_event(client, db_session)
    run_jobs(app)
    sweep_at(app, stored(db_session, event).next_attempt_at)
    sweep_at(app, stored(db_session, event).next_attempt_at)
    row = stored(db_session, event)
    assert len(calls) == 3 and row.attempts == 3
    assert row.processed_at is not None and row.failed_at is None and row.last_error is None
    assert row.next_attempt_at is None
    db_session.expire_all()
    assert signup.status == "ready" and len(mails.emails) == 1
    assert sweep_at(app, utcnow() + timedelta(days=1)) == 0


def test_the_bound_is_a_setting(app, client, db_session, redis, monkeypatch):
    monkeypatch.setitem(app.config, "EVENT_MAX_ATTEMPTS", 2)
    break_handler(monkeypatch)
    _signup, event = paid_event(client, db_session)
    run_jobs(app)
    sweep_at(app, stored(db_session, event).next_attempt_at)
    row = stored(db_session, event)
    assert row.attempts == 2 and row.failed_at is not None


def test_a_queued_copy_of_a_failed_event_does_nothing(app, client, db_session, redis,
                                                      monkeypatch):
    """A job left in the queue (a duplicate delivery, an old sweep) for an event already given
    up on neither processes it nor counts an attempt: only staff bring it back."""
    from worker.jobs.billing import enqueue_event

    monkeypatch.setitem(app.config, "EVENT_MAX_ATTEMPTS", 1)
    calls = break_handler(monkeypatch)
    _signup, event = paid_event(client, db_session)
    run_jobs(app)
    assert stored(db_session, event).failed_at is not None
    with app.app_context():
        enqueue_event(services(app).queues, event["id"])
    run_jobs(app)
    assert len(calls) == 1 and stored(db_session, event).attempts == 1
