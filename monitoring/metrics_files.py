"""The directory of the metrics files in multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``),
shared by gunicorn's workers and the rq workers of one machine. Imports nothing of the app:
gunicorn's master calls it before it forks."""

from __future__ import annotations

import os


def clear_stale_files(path: str) -> None:
    """Create the directory, and delete the files of processes that no longer run (named
    ``<kind>_<pid>.db``); the files of live processes (rq workers sharing the directory)
    stay, so their counters live on through a restart of gunicorn."""
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        pid = name.removesuffix(".db").rsplit("_", 1)[-1]
        if not name.endswith(".db") or not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            os.unlink(os.path.join(path, name))
        except PermissionError:
            pass  # alive, another user's
