"""The metrics the app exports at ``/metrics`` (``web.metrics``), for Prometheus.

Counters and histograms are observed where things happen (the web request hooks, the jobs,
the worker). When ``PROMETHEUS_MULTIPROC_DIR`` is set before this module is imported
(gunicorn's workers and the rq workers of one machine), each process writes them to files
there and a scrape adds them up; otherwise they live in the process (development server,
tests). The gauges are read at scrape time by two collectors: ``QueueCollector`` (Redis:
queue depth, age of the oldest job, live workers) and ``DatabaseCollector`` (tenants per
billing state, MRR, site health, open incidents). Either answers with ``*_up 0`` instead of
failing the scrape when its store is down.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector
from rq.job import Job
from rq.utils import utcparse
from rq.worker_registration import WORKERS_BY_QUEUE_KEY
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from db.base import utcnow
from db.models import Tenant
from db.models.billing import StripeEvent
from db.models.monitoring import Incident, SiteHealth
from db.models.provisioning import ProvisioningRun
from db.models.tenants import BillingState
from staff.revenue import current_mrr

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # whichever process starts first creates it
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
LONG = (0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600)

HTTP_REQUESTS = Counter("contyzr_http_requests", "HTTP requests answered, by endpoint group "
                        "(blueprint), method and status class", ["group", "method", "status"])
HTTP_SECONDS = Histogram("contyzr_http_request_duration_seconds", "Time to answer an HTTP "
                         "request", ["group", "method", "status"], buckets=LATENCY)
WEBHOOK_SECONDS = Histogram("contyzr_webhook_intake_duration_seconds", "Time to verify, store "
                            "and enqueue a Stripe webhook", ["endpoint"], buckets=LATENCY)
EVENT_SECONDS = Histogram("contyzr_stripe_event_processing_seconds", "From a Stripe event "
                          "stored to processed", buckets=LONG)
JOB_FAILURES = Counter("contyzr_job_failures", "Jobs that raised, by queue and function",
                       ["queue", "function"])
PROVISIONING_SECONDS = Histogram("contyzr_provisioning_duration_seconds", "A provisioning run "
                                 "from its start to its end", ["outcome"], buckets=LONG)
MAILS = Counter("contyzr_mails", "Mail deliveries, by outcome (sent, failed)", ["outcome"])

STATUS_CLASSES = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def status_class(status: int) -> str:
    return STATUS_CLASSES.get(status // 100, "other")


def observe_request(group: str, method: str, status: int, seconds: float) -> None:
    labels = (group, method, status_class(status))
    HTTP_REQUESTS.labels(*labels).inc()
    HTTP_SECONDS.labels(*labels).observe(seconds)


def observe_event_processed(session, event_id: str) -> None:
    """From the event's storage to now (its processing committed)."""
    try:
        received = session.scalar(select(StripeEvent.received_at).where(StripeEvent.id == event_id))
    except SQLAlchemyError:
        return  # never fail the job for a metric
    if received is not None:
        EVENT_SECONDS.observe(max(0.0, (utcnow() - received).total_seconds()))


def observe_provisioning(session, signup_id: str, finished_since: datetime) -> None:
    """The signup's run, if it ended (succeeded or failed) since ``finished_since`` (in this
    job): from its first start to its end."""
    try:
        run = session.scalar(select(ProvisioningRun).where(ProvisioningRun.signup_id == signup_id))
    except SQLAlchemyError:
        return  # never fail the job for a metric
    if run is None or run.started_at is None or run.finished_at is None \
            or run.finished_at < finished_since or run.status not in ("succeeded", "failed"):
        return
    PROVISIONING_SECONDS.labels(str(run.status)).observe(
        max(0.0, (run.finished_at - run.started_at).total_seconds()))


def count_mail(outcome: str) -> None:
    MAILS.labels(outcome).inc()


def count_job_failure(queue: str, function: str) -> None:
    JOB_FAILURES.labels(queue, function).inc()


def _age_seconds(enqueued_at: bytes | None, now: datetime) -> float:
    if not enqueued_at:
        return 0.0
    try:
        when = utcparse(enqueued_at.decode())
    except ValueError:
        return 0.0
    return max(0.0, (now - when.replace(tzinfo=UTC)).total_seconds())


class QueueCollector(Collector):
    """Per rq queue: jobs waiting, the age of the oldest, and the workers alive (registered
    and still sending heartbeats)."""

    def __init__(self, connection: Callable[[], object], queue_names: Sequence[str]):
        self.connection, self.queue_names = connection, tuple(queue_names)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        up = GaugeMetricFamily("contyzr_redis_up", "Whether Redis answered this scrape")
        depth = GaugeMetricFamily("contyzr_queue_jobs", "Jobs waiting in the queue",
                                  labels=["queue"])
        age = GaugeMetricFamily("contyzr_queue_oldest_job_age_seconds", "How long the oldest "
                                "waiting job has waited (0: none)", labels=["queue"])
        workers = GaugeMetricFamily("contyzr_queue_workers", "Live rq workers listening on the "
                                    "queue", labels=["queue"])
        try:
            redis = self.connection()
            now = datetime.now(UTC)
            for name in self.queue_names:
                key = f"rq:queue:{name}"
                oldest = redis.lindex(key, 0)
                enqueued = redis.hget(Job.key_for(oldest.decode()), "enqueued_at") if oldest else None
                worker_keys = list(redis.smembers(WORKERS_BY_QUEUE_KEY % name))
                alive = sum(redis.exists(worker) for worker in worker_keys)
                depth.add_metric([name], redis.llen(key))
                age.add_metric([name], _age_seconds(enqueued, now))
                workers.add_metric([name], alive)
        except Exception:  # noqa: BLE001 (a scrape answers whatever the state of Redis)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield from (up, depth, age, workers)


class DatabaseCollector(Collector):
    """Tenants per billing state, MRR (``staff.revenue``), tenant sites per health status and
    open incidents per alert rule, read from the database at scrape time."""

    def __init__(self, sessionmaker: Callable[[], object], catalog: Callable[[], object]):
        self.sessionmaker, self.catalog = sessionmaker, catalog

    def collect(self) -> Iterable[GaugeMetricFamily]:
        up = GaugeMetricFamily("contyzr_database_up", "Whether the database answered this scrape")
        try:
            families = self._read()
        except Exception:  # noqa: BLE001 (a scrape answers whatever the state of the database)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self) -> list[GaugeMetricFamily]:
        tenants = GaugeMetricFamily("contyzr_tenants", "Tenants per billing state",
                                    labels=["state"])
        mrr = GaugeMetricFamily("contyzr_mrr_euros", "Monthly recurring revenue, without VAT")
        sites = GaugeMetricFamily("contyzr_site_health", "Tenant sites per health status",
                                  labels=["status"])
        incidents = GaugeMetricFamily("contyzr_open_incidents", "Open incidents per alert rule",
                                      labels=["rule"])
        with self.sessionmaker() as session:
            counted = dict(session.execute(
                select(Tenant.billing_state, func.count()).group_by(Tenant.billing_state)).all())
            for state in BillingState:
                tenants.add_metric([str(state)], counted.get(state, 0))
            mrr.add_metric([], current_mrr(session, self.catalog(), utcnow()).mrr_cents / 100)
            for status, count in session.execute(
                    select(SiteHealth.status, func.count()).group_by(SiteHealth.status)):
                sites.add_metric([str(status)], count)
            for rule, count in session.execute(
                    select(Incident.rule, func.count()).where(Incident.resolved_at.is_(None))
                    .group_by(Incident.rule)):
                incidents.add_metric([rule], count)
        return [tenants, mrr, sites, incidents]


class _Observed(Collector):
    """The counters and histograms: every process's files, or this process's registry."""

    def collect(self):
        if multiprocess_dir():
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            yield from registry.collect()
        else:
            yield from REGISTRY.collect()


def scrape_registry(*collectors: Collector) -> CollectorRegistry:
    """What one scrape answers: the observed metrics plus ``collectors``."""
    registry = CollectorRegistry()
    registry.register(_Observed())
    for collector in collectors:
        registry.register(collector)
    return registry
