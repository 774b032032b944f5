"""Alerts end to end: a site critical twice opens one incident; staff get one mail each and
the webhook one post when it opens, and again when it resolves; nothing more on later
evaluations; a failing or hanging webhook is retried a few times and given up, without
holding up the evaluation; the per-rule rate limit; flapping."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from alert_support import (
    STAFF_OPS,
    WebhookReceiver,
    alert_settings,
    checked,
    evaluate,
    mails_to,
    only_rules,
)
from freezegun import freeze_time
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session
from staff_support import make_staff

from db.base import utcnow
from db.models import Incident, MailLog
from monitoring import alert_notices, alerts
from monitoring.alert_rules import Finding
from worker.services import services

import factories
from support import run_jobs


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def staff(db_session):
    """Who is told: the admin, the support member and ALERT_MAIL_TO; not finance, nor a
    disabled account."""
    told = [make_staff(db_session, "admin"), make_staff(db_session, "support")]
    make_staff(db_session, "finance")
    make_staff(db_session, "support").disabled_at = utcnow()
    db_session.commit()
    return [member.email for member in told] + [STAFF_OPS]


def incidents(db_session, rule="site_down"):
    db_session.expire_all()
    return list(db_session.scalars(select(Incident).where(Incident.rule == rule)
                                   .order_by(Incident.id)))


def test_a_site_down_is_told_once_when_it_opens_and_once_when_it_resolves(
        app, db_session, redis, mails, webhook, staff, monkeypatch):
    alert_settings(app, monkeypatch, ALERT_WEBHOOK_URL=webhook.url)
    only_rules(monkeypatch, "site_down")
    tenant = factories.tenant(app, db_session)

    checked(db_session, tenant, "critical")
    assert evaluate(app)["opened"] == []  # one failed check is not an incident
    checked(db_session, tenant, "critical")
    changed = evaluate(app)
    assert len(changed["opened"]) == 1 and webhook.hits == 0  # posted by its own job
    run_jobs(app)

    [incident] = incidents(db_session)
    assert incident.subject == f"tenant:{tenant.id}" and incident.tenant_id == tenant.id
    assert tenant.subdomain in incident.summary and "HTTP 500" in incident.summary
    assert incident.opened_mailed_at and incident.opened_posted_at and not incident.resolved_at
    for address in staff:  # (in Dutch: staff have no language setting of their own)
        [mail] = mails_to(mails, address)
        assert mail["subject"].startswith("Incident: ")
        assert f"(tenant:{tenant.id})" in mail["subject"] and incident.summary in mail["text"]
        assert "http://localhost/admin/incidents" in mail["text"]
    assert len(mails.emails) == len(staff)
    [text] = webhook.texts()
    assert text.startswith("[INCIDENT] site_down") and incident.summary in text

    for _ in range(2):  # still down: nothing more
        checked(db_session, tenant, "critical")
        assert evaluate(app)["opened"] == []
        run_jobs(app)
    assert len(mails.emails) == len(staff) and webhook.hits == 1

    checked(db_session, tenant, "healthy")
    assert evaluate(app)["resolved"] == [incident.id]
    run_jobs(app)
    [incident] = incidents(db_session)
    assert incident.resolved_at and incident.resolved_mailed_at and incident.resolved_posted_at
    for address in staff:
        opened, resolved = mails_to(mails, address)
        assert f"(tenant:{tenant.id})" in resolved["subject"]
        assert resolved["subject"] != opened["subject"] and incident.summary in resolved["text"]
    assert webhook.texts()[1].startswith("[RESOLVED] site_down")

    for _ in range(2):
        evaluate(app)
        run_jobs(app)
    assert len(mails.emails) == 2 * len(staff) and webhook.hits == 2


@pytest.mark.parametrize("mode", ["fail", "hang"])
def test_a_failing_or_hanging_webhook_is_tried_a_few_times_then_given_up(
        app, db_session, redis, mails, webhook, staff, monkeypatch, mode, caplog):
    alert_settings(app, monkeypatch, ALERT_WEBHOOK_URL=webhook.url,
                   ALERT_WEBHOOK_TIMEOUT_SECONDS=0.2)
    only_rules(monkeypatch, "site_down")
    webhook.mode = mode
    tenant = factories.tenant(app, db_session)
    checked(db_session, tenant, "critical", "critical")

    assert len(evaluate(app)["opened"]) == 1  # the evaluation never waits for the webhook
    assert webhook.hits == 0
    run_jobs(app)  # the post, then its three retries; the mails regardless
    assert webhook.hits == 4
    assert len(mails.emails) == len(staff)
    [incident] = incidents(db_session)
    assert incident.opened_mailed_at and incident.opened_posted_at is None

    checked(db_session, tenant, "critical")
    evaluate(app)
    run_jobs(app)
    assert webhook.hits == 4  # given up: no storm of attempts
    assert "given up" in caplog.text
    assert "/hooks/alerts" not in caplog.text  # a Slack webhook's URL is its secret


def test_a_post_not_queued_while_redis_was_down_goes_out_with_the_next_evaluation(
        app, db_session, redis, mails, webhook, staff, monkeypatch):
    alert_settings(app, monkeypatch, ALERT_WEBHOOK_URL=webhook.url)
    only_rules(monkeypatch, "site_down")
    tenant = factories.tenant(app, db_session)
    checked(db_session, tenant, "critical", "critical")

    def redis_down(*_args, **_kwargs):
        raise RedisConnectionError("Redis is down")

    with monkeypatch.context() as outage:  # between the commit and the enqueue
        outage.setattr("worker.jobs.alerts.Job.exists", redis_down)
        assert len(evaluate(app)["opened"]) == 1
    run_jobs(app)
    assert webhook.hits == 0  # no job was queued

    checked(db_session, tenant, "critical")
    evaluate(app)
    run_jobs(app)
    evaluate(app)
    run_jobs(app)
    assert webhook.hits == 1 and webhook.texts()[0].startswith("[INCIDENT] site_down")
    assert len(mails.emails) == len(staff)


def test_evaluating_twice_at_once_opens_and_tells_once(app, db_session, redis, mails, staff,
                                                       monkeypatch):
    """Two evaluations of the same findings: the second opens nothing (ON CONFLICT on the
    index of open incidents), so it queues no mail."""
    alert_settings(app, monkeypatch)
    tenant = factories.tenant(app, db_session)
    checked(db_session, tenant, "critical", "critical")
    rules = {"site_down": alerts.RULES["site_down"]}
    first = alerts.evaluate(db_session, None, app.config, rules=rules)
    second = alerts.evaluate(db_session, None, app.config, rules=rules)
    assert len(first.opened) == 1 and second.opened == [] and second.firing == 1
    notices = [alert_notices.announce(db_session, app.config, changes)
               for changes in (first, second)]
    assert len(notices[0].mail_keys) == len(staff) and notices[1].mail_keys == []


def test_too_many_incidents_of_one_rule_are_told_in_one_message(
        app, db_session, redis, mails, webhook, monkeypatch):
    alert_settings(app, monkeypatch, ALERT_WEBHOOK_URL=webhook.url, ALERT_NOTICES_PER_RULE=2)
    only_rules(monkeypatch, "site_down")
    sites = [factories.tenant(app, db_session) for _ in range(8)]
    start = utcnow()
    with freeze_time(start) as clock:
        for tenant in sites[:5]:
            checked(db_session, tenant, "critical", "critical")
        assert len(evaluate(app)["opened"]) == 5
        run_jobs(app)
        # Two told one by one, the third for itself "and 2 more".
        assert len(webhook.texts()) == 3 and len(mails_to(mails, STAFF_OPS)) == 3
        assert webhook.texts()[2].count("\n") == 2 and "and 2 more site_down incidents" \
            in webhook.texts()[2]
        assert "site_down" in mails_to(mails, STAFF_OPS)[2]["text"]
        assert "2" in mails_to(mails, STAFF_OPS)[2]["text"].split(incidents(db_session)[2].summary)[1]

        clock.tick(timedelta(minutes=1))  # still within the 10 minutes: one message for 3
        for tenant in sites[5:]:
            checked(db_session, tenant, "critical", "critical")
        assert len(evaluate(app)["opened"]) == 3
        run_jobs(app)
        assert len(webhook.texts()) == 4 and "and 2 more" in webhook.texts()[3]
        told = [row for row in incidents(db_session) if "opened_in" not in row.detail]
        assert len(told) == 4  # the others point at the message that told them
        assert all(row.opened_mailed_at for row in incidents(db_session))


def test_a_flapping_site_keeps_one_incident_and_stays_quiet(
        app, db_session, redis, mails, webhook, monkeypatch):
    """An incident resolves only after ALERT_RESOLVE_AFTER_MINUTES without firing: a site that
    comes and goes within them is one incident, told once."""
    alert_settings(app, monkeypatch, ALERT_WEBHOOK_URL=webhook.url,
                   ALERT_RESOLVE_AFTER_MINUTES=5)
    only_rules(monkeypatch, "site_down")
    tenant = factories.tenant(app, db_session)
    with freeze_time(utcnow()) as clock:
        for _ in range(4):  # down, up, down, up... a minute apart
            checked(db_session, tenant, "critical", "critical")
            evaluate(app)
            clock.tick(timedelta(minutes=1))
            checked(db_session, tenant, "healthy")
            evaluate(app)
            clock.tick(timedelta(minutes=1))
        run_jobs(app)
        assert len(incidents(db_session)) == 1 and webhook.hits == 1
        clock.tick(timedelta(minutes=6))
        evaluate(app)
        run_jobs(app)
    [incident] = incidents(db_session)
    assert incident.resolved_at is not None and webhook.hits == 2
    assert len(mails_to(mails, STAFF_OPS)) == 2


def test_two_evaluators_at_the_same_moment_open_one_incident_and_tell_it_once(app, redis):
    """Two processes evaluate at once (real connections, real commits): the second's INSERT
    waits for the first's open incident, then opens nothing and queues no mail."""
    engine = services(app).database.engine
    rule = f"test_concurrent_{uuid.uuid4().hex[:8]}"
    rules = {rule: lambda *_args: [Finding("platform", "A finding of the concurrency test")]}
    config = {**app.config, "ALERT_MAIL_TO": [STAFF_OPS]}
    first, second, other = Session(engine), Session(engine), {}

    def evaluate_beside():
        changes = alerts.evaluate(second, None, config, rules=rules)
        other["changes"], other["notices"] = changes, alert_notices.announce(second, config,
                                                                             changes)
        second.commit()

    try:
        changes = alerts.evaluate(first, None, config, rules=rules)
        notices = alert_notices.announce(first, config, changes)
        beside = threading.Thread(target=evaluate_beside)
        beside.start()
        with engine.connect() as watcher:  # until the second evaluator waits for the first
            deadline = time.monotonic() + 20
            while not watcher.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")):
                assert time.monotonic() < deadline, "the second evaluator never waited"
                time.sleep(0.02)
        first.commit()
        beside.join(20)
        assert len(changes.opened) == 1 and len(notices.mail_keys) >= 1
        assert other["changes"].opened == [] and other["changes"].firing == 1
        assert other["notices"].mail_keys == []
        with Session(engine) as check:
            assert check.scalar(select(func.count()).select_from(Incident).where(
                Incident.rule == rule, Incident.resolved_at.is_(None))) == 1
    finally:
        first.close()
        second.close()
        with engine.begin() as connection:
            ids = list(connection.scalars(select(Incident.id).where(Incident.rule == rule)))
            for incident_id in ids:
                connection.execute(delete(MailLog).where(
                    MailLog.idempotency_key.like(f"alert-{incident_id}-%")))
            connection.execute(delete(Incident).where(Incident.rule == rule))


def test_the_evaluation_runs_every_minute_on_the_maintenance_queue(redis):
    from worker.jobs.alerts import evaluate_alerts
    from worker.schedule import build_scheduler

    jobs = {job.func: job for job in build_scheduler(redis).get_jobs()}
    assert jobs[evaluate_alerts].interval == 60
    assert jobs[evaluate_alerts].queue_name == "maintenance"
