"""The alert rules: each a small function ``(session, redis, config, now) -> list[Finding]``
that says what is wrong right now, one finding per subject. ``monitoring.alerts`` turns the
findings into incidents (opened, still firing, resolved).

Thresholds come from the settings (``config``), each with the default below, so the rules
also run with a partial config (a test's, a command's). The queue rules get the rq queue
names in ``config["ALERT_QUEUE_NAMES"]`` from the caller (this layer never imports worker/)
and the Redis connection as ``redis``. A summary is one line of English, for staff.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from redis import Redis
from rq import Queue, Worker
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from db.models import CustomDomain, MailLog, ProvisioningRun, Signup, SiteHealth, StripeEvent, Tenant
from db.models.domains import DomainStatus
from db.models.mail import MailStatus
from db.models.monitoring import SiteStatus
from db.models.provisioning import RunStatus

DEFAULTS: dict[str, object] = {
    "ALERT_SITE_DOWN_CHECKS": 2,  # critical checks in a row
    "SITE_CHECK_SLOW_MS": 3000,  # the health checks' own setting: slower is "warning"
    "ALERT_UPTIME_PERCENT": 99.0,
    "ALERT_UPTIME_HOURS": 24,
    "ALERT_PROVISIONING_STUCK_MINUTES": 15,
    "ALERT_EVENTS_FAILED_HOURS": 24,
    "ALERT_EVENTS_BACKLOG_MINUTES": 5,
    "ALERT_EVENTS_BACKLOG_COUNT": 10,
    "ALERT_QUEUE_LENGTH": 1000,
    "ALERT_QUEUE_AGE_SECONDS": 600,
    "ALERT_WORKERS_MISSING_SECONDS": 120,
    "ALERT_MAIL_ATTEMPTS": 3,
    "ALERT_PAYMENT_FAILURES_PER_HOUR": 10,
}
SHOWN = 20  # ids kept in an incident's detail


@dataclass(frozen=True)
class Finding:
    subject: str  # "tenant:42", "domain:bakery.nl", "queue:mail", "stripe_events"
    summary: str
    tenant_id: int | None = None
    detail: dict = field(default_factory=dict)


Rule = Callable[[Session, Redis | None, Mapping, datetime], list[Finding]]


def setting(config: Mapping, name: str):
    value = config.get(name)
    return DEFAULTS[name] if value is None else value


def _line(text: str) -> str:
    return " ".join(str(text).split())[:300]


# Each SQL rule's query is a function of (config, now), so a test can EXPLAIN it
# (tests/db/test_sweep_plans.py): each reads only what is wrong through a (partial) index.

def site_down_query(config: Mapping, now: datetime) -> Select:
    return (select(SiteHealth.tenant_id, Tenant.subdomain, SiteHealth.failures_in_a_row,
                   SiteHealth.reason)
            .join(Tenant, Tenant.id == SiteHealth.tenant_id)
            .where(SiteHealth.status == SiteStatus.CRITICAL,
                   SiteHealth.failures_in_a_row >= int(setting(config, "ALERT_SITE_DOWN_CHECKS"))))


def site_slow_query(config: Mapping, now: datetime) -> Select:
    return (select(SiteHealth.tenant_id, Tenant.subdomain, SiteHealth.response_ms)
            .join(Tenant, Tenant.id == SiteHealth.tenant_id)
            .where(SiteHealth.status == SiteStatus.WARNING,
                   SiteHealth.response_ms > int(setting(config, "SITE_CHECK_SLOW_MS"))))


def domain_lost_query(config: Mapping, now: datetime) -> Select:
    return (select(CustomDomain.name, CustomDomain.tenant_id, Tenant.subdomain,
                   CustomDomain.lost_at)
            .join(Tenant, Tenant.id == CustomDomain.tenant_id)
            .where(CustomDomain.status == DomainStatus.LOST).order_by(CustomDomain.id))


def _runs_query(*where) -> Select:
    return (select(ProvisioningRun, Signup.subdomain)
            .join(Signup, Signup.id == ProvisioningRun.signup_id).where(*where)
            .order_by(ProvisioningRun.id))


def provisioning_failed_query(config: Mapping, now: datetime) -> Select:
    return _runs_query(ProvisioningRun.status == RunStatus.FAILED)


def provisioning_stuck_query(config: Mapping, now: datetime) -> Select:
    minutes = int(setting(config, "ALERT_PROVISIONING_STUCK_MINUTES"))
    moved = func.coalesce(ProvisioningRun.heartbeat_at, ProvisioningRun.created_at)
    return _runs_query(ProvisioningRun.status.in_((RunStatus.QUEUED, RunStatus.RUNNING)),
                       moved < now - timedelta(minutes=minutes))


def stripe_events_failing_query(config: Mapping, now: datetime) -> Select:
    hours = int(setting(config, "ALERT_EVENTS_FAILED_HOURS"))
    return (select(StripeEvent.id).where(
        StripeEvent.failed_at >= now - timedelta(hours=hours),
        StripeEvent.processed_at.is_(None)).order_by(StripeEvent.failed_at.desc()))


def stripe_events_backlog_query(config: Mapping, now: datetime) -> Select:
    minutes = int(setting(config, "ALERT_EVENTS_BACKLOG_MINUTES"))
    return select(func.count(), func.min(StripeEvent.received_at)).where(
        StripeEvent.processed_at.is_(None), StripeEvent.failed_at.is_(None),
        StripeEvent.received_at < now - timedelta(minutes=minutes))


def mail_failing_query(config: Mapping, now: datetime) -> Select:
    attempts = int(setting(config, "ALERT_MAIL_ATTEMPTS"))
    return (select(MailLog.kind, MailLog.last_error).where(
        MailLog.created_at >= now - timedelta(hours=1),
        (MailLog.status == MailStatus.FAILED)
        | ((MailLog.status == MailStatus.PENDING) & (MailLog.attempts >= attempts)))
        .order_by(MailLog.id.desc()))


def payment_failures_query(config: Mapping, now: datetime) -> Select:
    return select(func.count()).select_from(StripeEvent).where(
        StripeEvent.type == "invoice.payment_failed", StripeEvent.account.is_(None),
        StripeEvent.received_at >= now - timedelta(hours=1))


def site_down(session, redis, config, now) -> list[Finding]:
    rows = session.execute(site_down_query(config, now))
    return [Finding(f"tenant:{tenant_id}", _line(
        f"Site {subdomain} is down: {reason or 'no answer'} ({count} checks in a row)"),
        tenant_id, {"reason": reason, "failures_in_a_row": count})
        for tenant_id, subdomain, count, reason in rows]


def site_slow(session, redis, config, now) -> list[Finding]:
    slow_ms = int(setting(config, "SITE_CHECK_SLOW_MS"))
    rows = session.execute(site_slow_query(config, now))
    return [Finding(f"tenant:{tenant_id}", _line(
        f"Site {subdomain} is slow: {ms} ms (over {slow_ms} ms)"), tenant_id,
        {"response_ms": ms}) for tenant_id, subdomain, ms in rows]


def uptime_low(session, redis, config, now) -> list[Finding]:
    from monitoring import uptime  # the health checks' module (a missing function: this rule fails)

    percent = float(setting(config, "ALERT_UPTIME_PERCENT"))
    hours = int(setting(config, "ALERT_UPTIME_HOURS"))
    low = dict(uptime.low_uptime_tenants(session, percent, hours, now=now))
    names = dict(session.execute(select(Tenant.id, Tenant.subdomain)
                                 .where(Tenant.id.in_(list(low)))).all()) if low else {}
    return [Finding(f"tenant:{tenant_id}", _line(
        f"Site {names.get(tenant_id, tenant_id)} was up {up:.2f}% of the last {hours} hours "
        f"(below {percent:g}%)"), tenant_id, {"uptime_percent": round(up, 3), "hours": hours})
        for tenant_id, up in sorted(low.items())]


def domain_lost(session, redis, config, now) -> list[Finding]:
    rows = session.execute(domain_lost_query(config, now))
    found: dict[str, Finding] = {}
    for name, tenant_id, subdomain, lost_at in rows:
        found.setdefault(f"domain:{name}", Finding(f"domain:{name}", _line(
            f"Domain {name} of site {subdomain} lost its DNS records"), tenant_id,
            {"lost_at": lost_at.isoformat() if lost_at else None}))
    return list(found.values())


def provisioning_failed(session, redis, config, now) -> list[Finding]:
    return [Finding(f"signup:{run.signup_id}", _line(
        f"Provisioning of {subdomain} failed: {run.error or 'no reason recorded'} "
        f"(contyzr provisioning retry {run.signup_id})"), run.tenant_id,
        {"signup_id": run.signup_id, "error": run.error})
        for run, subdomain in session.execute(provisioning_failed_query(config, now))]


def provisioning_stuck(session, redis, config, now) -> list[Finding]:
    """Runs not finished that have not moved for a while: the sweep resumes a run standing
    still after PROVISIONING_STUCK_SECONDS, so this means the resumptions do not help
    (no provisioning worker, or a step failing again and again)."""
    minutes = int(setting(config, "ALERT_PROVISIONING_STUCK_MINUTES"))
    return [Finding(f"signup:{run.signup_id}", _line(
        f"Provisioning of {subdomain} has not moved for over {minutes} minutes "
        f"({run.status}, {run.attempts} attempts{', last error: ' + run.error if run.error else ''})"),
        run.tenant_id, {"signup_id": run.signup_id, "status": run.status})
        for run, subdomain in session.execute(provisioning_stuck_query(config, now))]


def stripe_events_failing(session, redis, config, now) -> list[Finding]:
    hours = int(setting(config, "ALERT_EVENTS_FAILED_HOURS"))
    ids = list(session.scalars(stripe_events_failing_query(config, now)))
    if not ids:
        return []
    return [Finding("stripe_events", _line(
        f"{len(ids)} Stripe event(s) failed in the last {hours} hours "
        "(contyzr events failed, contyzr events retry <id>)"), None, {"events": ids[:SHOWN]})]


def stripe_events_backlog(session, redis, config, now) -> list[Finding]:
    minutes = int(setting(config, "ALERT_EVENTS_BACKLOG_MINUTES"))
    most = int(setting(config, "ALERT_EVENTS_BACKLOG_COUNT"))
    count, oldest = session.execute(stripe_events_backlog_query(config, now)).one()
    if count <= most:
        return []
    return [Finding("stripe_events", _line(
        f"{count} Stripe events have waited over {minutes} minutes to be processed "
        f"(more than {most}; the oldest since {oldest:%Y-%m-%d %H:%M} UTC)"), None,
        {"count": count})]


def _queues(redis, config) -> list[Queue]:
    if redis is None:
        raise RuntimeError("no Redis connection")
    return [Queue(name, connection=redis) for name in config.get("ALERT_QUEUE_NAMES") or ()]


def _age_seconds(queue: Queue, now: datetime) -> float:
    first = queue.get_job_ids(0, 1)
    job = queue.fetch_job(first[0]) if first else None
    if job is None or job.enqueued_at is None:
        return 0.0
    enqueued = job.enqueued_at if job.enqueued_at.tzinfo else job.enqueued_at.replace(tzinfo=UTC)
    return max(0.0, (now - enqueued).total_seconds())


def queue_backlog(session, redis, config, now) -> list[Finding]:
    most = int(setting(config, "ALERT_QUEUE_LENGTH"))
    max_age = int(setting(config, "ALERT_QUEUE_AGE_SECONDS"))
    found = []
    for queue in _queues(redis, config):
        length, age = queue.count, _age_seconds(queue, now)
        if length > most or age > max_age:
            found.append(Finding(f"queue:{queue.name}", _line(
                f"Queue {queue.name} is backing up: {length} job(s) waiting, the oldest for "
                f"{int(age)} s (limits {most} jobs, {max_age} s)"), None,
                {"length": length, "oldest_seconds": int(age)}))
    return found


def workers_missing(session, redis, config, now) -> list[Finding]:
    """A queue without a live worker, for longer than ALERT_WORKERS_MISSING_SECONDS (a worker
    restarting is not an incident); when it went missing is remembered in Redis."""
    grace = int(setting(config, "ALERT_WORKERS_MISSING_SECONDS"))
    found = []
    for queue in _queues(redis, config):
        key = f"contyzr-alerts:no-worker-since:{queue.name}"
        if Worker.all(queue=queue):
            redis.delete(key)
            continue
        redis.set(key, now.timestamp(), nx=True, ex=7 * 86400)
        since = float(redis.get(key) or now.timestamp())
        if now.timestamp() - since >= grace:
            found.append(Finding(f"queue:{queue.name}", _line(
                f"No rq worker is serving the {queue.name} queue (contyzr worker --queue "
                f"{queue.name})"), None, {"since": datetime.fromtimestamp(since, UTC).isoformat()}))
    return found


def mail_failing(session, redis, config, now) -> list[Finding]:
    rows = session.execute(mail_failing_query(config, now)).all()
    if not rows:
        return []
    kind, error = rows[0]
    return [Finding("mail", _line(
        f"{len(rows)} mail(s) of the last hour failed or keep failing; the latest, {kind}: "
        f"{error or 'no error recorded'} (contyzr mail failed)"), None, {"count": len(rows)})]


def payment_failures_surge(session, redis, config, now) -> list[Finding]:
    most = int(setting(config, "ALERT_PAYMENT_FAILURES_PER_HOUR"))
    count = session.scalar(payment_failures_query(config, now))
    if count <= most:
        return []
    return [Finding("payments", _line(
        f"{count} failed payments (invoice.payment_failed) in the last hour, more than {most}"),
        None, {"count": count})]


# Evaluated in this order; uptime_low calls the health checks' module.
RULES: dict[str, Rule] = {
    "site_down": site_down,
    "site_slow": site_slow,
    "domain_lost": domain_lost,
    "provisioning_failed": provisioning_failed,
    "provisioning_stuck": provisioning_stuck,
    "stripe_events_failing": stripe_events_failing,
    "stripe_events_backlog": stripe_events_backlog,
    "queue_backlog": queue_backlog,
    "workers_missing": workers_missing,
    "mail_failing": mail_failing,
    "payment_failures_surge": payment_failures_surge,
    "uptime_low": uptime_low,
}

# The rules' SQL queries, for EXPLAIN (uptime_low's is ``monitoring.uptime``'s, the queue and
# worker rules ask Redis).
QUERIES: dict[str, Callable[[Mapping, datetime], Select]] = {
    "site_down": site_down_query,
    "site_slow": site_slow_query,
    "domain_lost": domain_lost_query,
    "provisioning_failed": provisioning_failed_query,
    "provisioning_stuck": provisioning_stuck_query,
    "stripe_events_failing": stripe_events_failing_query,
    "stripe_events_backlog": stripe_events_backlog_query,
    "mail_failing": mail_failing_query,
    "payment_failures_surge": payment_failures_query,
}
