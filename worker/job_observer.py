"""One structured line per job run, and the failure counter (``AppWorker.perform_job``).

While the job runs, the request id it was enqueued under (``job.meta``) is the current one:
its own lines, Sentry events and the jobs it enqueues carry it. A job enqueued by no request
gets a fresh id, so its lines still belong together.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from rq.job import Job, JobStatus

from monitoring import logs, metrics

log = logging.getLogger(logs.JOB_LOGGER)


def _function(job: Job) -> str:
    try:
        return job.func_name
    except Exception:  # noqa: BLE001 (a job whose data cannot be read still gets its line)
        return "?"


def _outcome(job: Job, succeeded: bool) -> str:
    if succeeded:
        return "ok"
    status = job.get_status(refresh=True)
    return "retry" if status in (JobStatus.SCHEDULED, JobStatus.QUEUED) else "failed"


def observe(job: Job, queue_name: str, perform: Callable[[], bool]) -> bool:
    """Run ``perform`` (rq's ``perform_job``: True when the job succeeded) under the job's
    request id; log its line and count its failure."""
    token = logs.set_request_id(job.meta.get(logs.META_KEY) or logs.new_request_id())
    started = time.perf_counter()
    succeeded = False
    try:
        succeeded = perform()
        return succeeded
    finally:
        function = _function(job)
        outcome = _outcome(job, succeeded)
        if not succeeded:
            metrics.count_job_failure(queue_name, function)
        level = logging.INFO if succeeded else logging.WARNING
        log.log(level, "job %s %s", function, outcome, extra={"fields": {
            "job_id": job.id, "queue": queue_name, "function": function, "outcome": outcome,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1)}})
        logs.reset_request_id(token)
