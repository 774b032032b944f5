"""``contyzr worker`` and ``contyzr cron``."""

from __future__ import annotations

import click
from flask import current_app
from rq import SimpleWorker

from worker.queues import BILLING, QUEUE_NAMES
from worker.reconnect import die_with_parent, keep_running
from worker.services import services

MIN_REDIS = (6, 2)
# A worker that rode out a Redis outage may have lost the scheduler of delayed retries it
# forked: its maintenance starts a new one. rq looks every 10 minutes and wakes from its wait
# for a job every 405 s; here every 30 s, waking every 45 s.
WORKER_TTL = 60
MAINTENANCE_SECONDS = 30


def redis_version(connection) -> tuple[int, ...]:
    return tuple(int(part) for part in connection.info("server")["redis_version"].split(".")[:2])


class AppWorker(SimpleWorker):
    """Runs jobs in this process (inside the Flask app context) rather than a forked child.

    A job killed with the process is recovered by the sweeps, not by rq's slow maintenance.
    Each run logs one structured line and counts its failure (``worker.job_observer``).
    """

    def perform_job(self, job, queue, execution) -> bool:
        from worker.job_observer import observe

        return observe(job, queue.name, lambda: super(AppWorker, self).perform_job(
            job, queue, execution))

    stopping = False  # a stop was asked for (SIGTERM, Ctrl-C), rather than Redis going away

    def request_stop(self, signum, frame):
        self.stopping = True
        super().request_stop(signum, frame)


@click.command("worker")
@click.option("--queue", "queue_name", type=click.Choice(QUEUE_NAMES), required=True,
              help="One queue per worker process: rq then moves jobs atomically (LMOVE).")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(queue_name: str, burst: bool) -> None:
    """Start an rq worker for one queue."""
    queues = services().queues
    version = redis_version(queues.connection)
    if version < MIN_REDIS:
        raise click.ClickException(
            f"Redis {'.'.join(map(str, version))} is too old: 6.2 or newer is required"
        )
    die_with_parent()  # rq's scheduler of delayed retries, forked below, ends with this process
    if queue_name == BILLING and not burst:
        from worker.event_dispatch import Dispatcher

        Dispatcher(current_app._get_current_object()).start()  # (a thread; ends with the process)

    def work() -> bool:
        worker = AppWorker([queues[queue_name]], connection=queues.connection,
                           worker_ttl=WORKER_TTL, maintenance_interval=MAINTENANCE_SECONDS)
        worker.work(burst=burst, with_scheduler=True, logging_level=worker_log_level())
        return burst or worker.stopping

    keep_running(work, queues.connection, f"worker {queue_name}")


@click.command("cron")
def cron_command() -> None:
    """Enqueue the periodic sweeps (safe to run more than one: the jobs are idempotent)."""
    from worker.schedule import build_scheduler

    def schedule() -> bool:
        build_scheduler(services().redis, current_app.config).start()
        return True  # start() returns only on a stop request; a lost Redis raises

    keep_running(schedule, services().redis, "scheduler")


def worker_log_level() -> str:
    """rq's own lines (every job started and finished) only from WORKER_LOG_LEVEL up."""
    return (current_app.config.get("WORKER_LOG_LEVEL") or "warning").upper()
