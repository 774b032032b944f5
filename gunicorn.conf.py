"""gunicorn's settings for ``gunicorn web.wsgi:app``, read from the working directory (or pass
``-c gunicorn.conf.py``): the logger that masks tokens in the access and error logs, and, when
``PROMETHEUS_MULTIPROC_DIR`` is set, the metrics files of the workers (``/metrics`` adds up
every process's; the directory is created at start, with the files of processes that no
longer run removed, and a worker that exits is marked dead)."""

import os

logger_class = "web.access_log.GunicornLogger"


def on_starting(server):
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        from monitoring.metrics_files import clear_stale_files

        clear_stale_files(path)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
