"""``contyzr worker`` and ``contyzr cron``."""

from __future__ import annotations

import click
from flask import current_app
from rq import SimpleWorker

from worker.queues import QUEUE_NAMES
from worker.services import services

MIN_REDIS = (6, 2)


def redis_version(connection) -> tuple[int, ...]:
    return tuple(int(part) for part in connection.info("server")["redis_version"].split(".")[:2])


class AppWorker(SimpleWorker):
    """Runs jobs in this process (inside the Flask app context) rather than a forked child.

    A job killed with the process is recovered by the sweeps, not by rq's slow maintenance.
    """


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
    worker = AppWorker([queues[queue_name]], connection=queues.connection)
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


@click.command("cron")
def cron_command() -> None:
    """Enqueue the periodic sweeps (safe to run more than one: the jobs are idempotent)."""
    from worker.schedule import build_scheduler

    build_scheduler(services().redis, current_app.config).start()
