"""The repairing sweeps' timings are settings (short in test stacks such as bench/chaos.py),
and their defaults are the production schedule."""

from __future__ import annotations

import uuid
from datetime import timedelta

from billing import events
from db.base import utcnow
from db.models import StripeEvent
from worker.jobs.billing import sweep_events
from worker.jobs.mail import sweep_mail
from worker.jobs.provisioning import sweep_stuck_runs
from worker.schedule import PERIODIC, build_scheduler


def intervals(scheduler) -> dict:
    return {job.func: job.interval for job in scheduler.get_jobs()}


def test_the_sweeps_run_on_the_production_schedule_unless_shortened(redis):
    assert intervals(build_scheduler(redis)) == dict(PERIODIC)
    assert intervals(build_scheduler(redis, {"SWEEP_EVERY_SECONDS": 0})) == dict(PERIODIC)

    shortened = intervals(build_scheduler(redis, {"SWEEP_EVERY_SECONDS": 2}))

    assert {shortened[job] for job in (sweep_events, sweep_stuck_runs, sweep_mail)} == {2}
    assert {job: seconds for job, seconds in shortened.items()
            if job not in (sweep_events, sweep_stuck_runs, sweep_mail)} == {
        job: seconds for job, seconds in PERIODIC if job not in (sweep_events, sweep_stuck_runs, sweep_mail)}


def test_an_unprocessed_event_is_left_to_its_webhook_for_the_settle_time(db_session):
    event_id = f"evt_{uuid.uuid4().hex[:16]}"
    db_session.add(StripeEvent(id=event_id, type="invoice.paid", created=utcnow(), payload={},
                               received_at=utcnow() - timedelta(seconds=5)))
    db_session.flush()

    assert event_id not in events.due(db_session)  # 30 s by default
    assert event_id not in events.due(db_session, settle=timedelta(seconds=10))
    assert event_id in events.due(db_session, settle=timedelta(seconds=2))


def test_the_event_sweep_reads_its_settle_time_from_the_settings(app, db_session, redis, monkeypatch):
    event_id = f"evt_{uuid.uuid4().hex[:16]}"
    db_session.add(StripeEvent(id=event_id, type="customer.updated", created=utcnow(), payload={},
                               received_at=utcnow() - timedelta(seconds=5)))
    db_session.commit()

    with app.app_context():
        assert sweep_events() == 0
        monkeypatch.setitem(app.config, "EVENT_SETTLE_SECONDS", 2)
        assert sweep_events() == 1


def test_the_provisioning_sweep_reads_its_stuck_time_from_the_settings(app, db_session, redis,
                                                                       monkeypatch):
    from db.models import ProvisioningRun
    from db.models.provisioning import RunStatus

    import factories

    signup = factories.signup(db_session)
    db_session.add(ProvisioningRun(signup_id=signup.id, status=RunStatus.QUEUED,
                                   created_at=utcnow() - timedelta(seconds=5)))
    db_session.commit()

    with app.app_context():
        assert sweep_stuck_runs() == 0  # 20 s by default
        monkeypatch.setitem(app.config, "PROVISIONING_STUCK_SECONDS", 2)
        assert sweep_stuck_runs() == 1
