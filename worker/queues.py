"""Queues named by purpose, and enqueueing that survives a Redis outage where it must."""

from __future__ import annotations

from redis import Redis
from rq import Queue, Retry

from monitoring.logs import META_KEY, current_request_id

BILLING = "billing"  # Stripe events
PROVISIONING = "provisioning"  # new tenants
MAIL = "mail"  # outbound mail
MAINTENANCE = "maintenance"  # sweeps, health checks, scheduled jobs

QUEUE_NAMES = (BILLING, PROVISIONING, MAIL, MAINTENANCE)


class TracedQueue(Queue):
    """A queue whose jobs carry the request id of the work that enqueued them (``job.meta``):
    the worker sets it again while the job runs (``worker.job_observer``)."""

    def create_job(self, *args, **kwargs):
        request_id = current_request_id()
        if request_id:
            kwargs["meta"] = {META_KEY: request_id, **(kwargs.get("meta") or {})}
        return super().create_job(*args, **kwargs)


class Queues:
    def __init__(self, connection: Redis):
        self.connection = connection
        self._queues = {name: TracedQueue(name, connection=connection) for name in QUEUE_NAMES}

    def __getitem__(self, name: str) -> Queue:
        return self._queues[name]

    def all(self) -> list[Queue]:
        return list(self._queues.values())


def retry_policy(config) -> Retry:
    """Retries with backoff (seconds between tries), configurable for tests and operators."""
    intervals = config.get("JOB_RETRY_INTERVALS") or DEFAULT_RETRY_INTERVALS
    return Retry(max=len(intervals), interval=list(intervals))


DEFAULT_RETRY_INTERVALS = (2, 10, 30, 120, 600)
