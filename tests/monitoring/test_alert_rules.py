"""Each alert rule opens its incident on real rows and resolves it when they are fine again;
a rule that raises is skipped without touching its incidents."""

from __future__ import annotations

import uuid
from datetime import timedelta

from alert_support import checked, redis_of
from redis import Redis
from rq import Queue, Worker
from sqlalchemy import select

from db.base import utcnow
from db.models import CustomDomain, Incident, MailLog, ProvisioningRun, SiteHealth, StripeEvent
from monitoring import alert_rules, alerts

import factories

NOW_KEYS = {"ALERT_RESOLVE_AFTER_MINUTES": 0}


def run(db_session, rule, config=None, now=None, redis=None, queue_names=()):
    """Evaluate one rule; its open incidents afterwards."""
    changes = alerts.evaluate(db_session, redis, {**NOW_KEYS, **(config or {})}, queue_names,
                              now=now or utcnow(), rules={rule: alert_rules.RULES[rule]})
    assert not changes.failed_rules
    return list(db_session.scalars(select(Incident).where(
        Incident.rule == rule, Incident.resolved_at.is_(None))))


def event(db_session, kind="invoice.paid", **values):
    row = StripeEvent(id=f"evt_{uuid.uuid4().hex}", type=kind, created=utcnow(), payload={},
                      **values)
    db_session.add(row)
    db_session.flush()
    return row


def test_site_slow(app, db_session):
    tenant = factories.tenant(app, db_session)
    checked(db_session, tenant, "warning", response_ms=4200)
    [incident] = run(db_session, "site_slow", {"SITE_CHECK_SLOW_MS": 3000})
    assert incident.subject == f"tenant:{tenant.id}" and "4200 ms" in incident.summary
    checked(db_session, tenant, "healthy", response_ms=300)
    assert run(db_session, "site_slow") == []


def test_uptime_low(app, db_session):
    tenant = factories.tenant(app, db_session)
    checked(db_session, tenant, *["healthy"] * 9, "critical")
    [incident] = run(db_session, "uptime_low", {"ALERT_UPTIME_PERCENT": 99})
    assert incident.subject == f"tenant:{tenant.id}" and "90.00%" in incident.summary
    assert run(db_session, "uptime_low", {"ALERT_UPTIME_PERCENT": 80}) == []


def test_domain_lost(app, db_session):
    tenant = factories.tenant(app, db_session, plan="professional")
    domain = CustomDomain(tenant_id=tenant.id, name="bakery-alerts.example", status="lost",
                          lost_at=utcnow())
    db_session.add(domain)
    db_session.flush()
    [incident] = run(db_session, "domain_lost")
    assert incident.subject == "domain:bakery-alerts.example"
    assert incident.tenant_id == tenant.id
    domain.status = "verified"
    db_session.flush()
    assert run(db_session, "domain_lost") == []


def test_provisioning_failed_and_stuck(app, db_session):
    signup = factories.signup(db_session)
    row = ProvisioningRun(signup_id=signup.id, status="failed", error="the template store is down")
    db_session.add(row)
    db_session.flush()
    [failed] = run(db_session, "provisioning_failed")
    assert failed.subject == f"signup:{signup.id}" and "template store" in failed.summary
    assert run(db_session, "provisioning_stuck") == []

    row.status, row.heartbeat_at = "running", utcnow() - timedelta(minutes=20)
    db_session.flush()
    assert run(db_session, "provisioning_failed") == []
    [stuck] = run(db_session, "provisioning_stuck", {"ALERT_PROVISIONING_STUCK_MINUTES": 15})
    assert stuck.subject == f"signup:{signup.id}" and "running" in stuck.summary
    row.heartbeat_at = utcnow()
    db_session.flush()
    assert run(db_session, "provisioning_stuck") == []


def test_stripe_events_failing_and_backlog(app, db_session):
    failed = event(db_session, failed_at=utcnow(), attempts=8, last_error="boom")
    [incident] = run(db_session, "stripe_events_failing")
    assert incident.detail["events"] == [failed.id] and "1 Stripe event" in incident.summary
    failed.failed_at, failed.processed_at = None, utcnow()  # retried by staff, processed
    db_session.flush()
    assert run(db_session, "stripe_events_failing") == []

    waiting = [event(db_session) for _ in range(3)]
    for row in waiting:
        row.received_at = utcnow() - timedelta(minutes=10)
    db_session.flush()
    settings = {"ALERT_EVENTS_BACKLOG_COUNT": 2, "ALERT_EVENTS_BACKLOG_MINUTES": 5}
    [backlog] = run(db_session, "stripe_events_backlog", settings)
    assert backlog.detail["count"] >= 3
    for row in waiting:
        row.processed_at = utcnow()
    db_session.flush()
    assert run(db_session, "stripe_events_backlog", settings) == []


def test_queue_backlog_and_workers_missing(app, db_session, redis):
    connection = redis_of(app)
    queue = Queue("mail", connection=connection)
    for _ in range(3):
        queue.enqueue("worker.jobs.health.ping")
    now = utcnow()
    [backlog] = run(db_session, "queue_backlog", {"ALERT_QUEUE_LENGTH": 2}, now, connection,
                    ["mail", "billing"])
    assert backlog.subject == "queue:mail" and "3 job(s)" in backlog.summary
    [aged] = run(db_session, "queue_backlog", {"ALERT_QUEUE_AGE_SECONDS": 60},
                 now + timedelta(minutes=5), connection, ["mail"])
    assert aged.id == backlog.id  # still the same incident, now for the age
    queue.empty()
    assert run(db_session, "queue_backlog", {}, now + timedelta(minutes=6), connection,
               ["mail"]) == []

    grace = {"ALERT_WORKERS_MISSING_SECONDS": 60}
    assert run(db_session, "workers_missing", grace, now, connection, ["mail"]) == []
    [missing] = run(db_session, "workers_missing", grace, now + timedelta(seconds=61),
                    connection, ["mail"])
    assert missing.subject == "queue:mail"
    worker = Worker([queue], connection=connection, name=f"alerts-test-{uuid.uuid4().hex[:6]}")
    worker.register_birth()
    try:
        assert run(db_session, "workers_missing", grace, now + timedelta(seconds=62),
                   connection, ["mail"]) == []
    finally:
        worker.register_death()


def test_mail_failing(app, db_session):
    db_session.add(MailLog(idempotency_key=f"alerts-test-{uuid.uuid4().hex}", kind="welcome",
                           to_address="someone@example.com", status="pending", attempts=4,
                           last_error="503 from the provider"))
    db_session.flush()
    now = utcnow()
    [incident] = run(db_session, "mail_failing", {"ALERT_MAIL_ATTEMPTS": 3}, now)
    assert "503 from the provider" in incident.summary
    assert run(db_session, "mail_failing", {}, now + timedelta(hours=2)) == []


def test_payment_failures_surge(app, db_session):
    for _ in range(3):
        event(db_session, "invoice.payment_failed")
    event(db_session, "invoice.payment_failed", account="acct_shop")  # a webshop's: not ours
    now = utcnow()
    settings = {"ALERT_PAYMENT_FAILURES_PER_HOUR": 2}
    [incident] = run(db_session, "payment_failures_surge", settings, now)
    assert incident.subject == "payments" and incident.detail["count"] == 3
    assert run(db_session, "payment_failures_surge", settings, now + timedelta(hours=2)) == []


def test_a_rule_that_raises_is_skipped_and_leaves_its_incidents_open(app, db_session, redis):
    """Redis down for the queue rules: they fail, their open incidents stay open (they are not
    "resolved" by a blind rule), and the other rules carry on."""
    connection = redis_of(app)
    for _ in range(3):
        Queue("mail", connection=connection).enqueue("worker.jobs.health.ping")
    config = {**NOW_KEYS, "ALERT_QUEUE_LENGTH": 2}
    assert run(db_session, "queue_backlog", config, redis=connection, queue_names=["mail"])
    tenant = factories.tenant(app, db_session)
    checked(db_session, tenant, "critical", "critical")

    down = Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
    changes = alerts.evaluate(db_session, down, config, ["mail"], now=utcnow(),
                              rules={name: alert_rules.RULES[name]
                                     for name in ("queue_backlog", "site_down")})
    assert changes.failed_rules == ["queue_backlog"] and len(changes.opened) == 1
    assert changes.resolved == []
    assert db_session.scalar(select(Incident).where(Incident.rule == "queue_backlog",
                                                    Incident.resolved_at.is_(None)))
    assert db_session.get(SiteHealth, tenant.id).failures_in_a_row == 2
