"""A real PostgreSQL server from the ``pgserver`` package, data kept in a folder of ours."""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path


class EmbeddedPostgres:
    def __init__(self, datadir: Path):
        self.datadir = Path(datadir)
        self._server = None

    def start(self) -> str:
        """Start (or attach to an already running) server; return a psycopg URL."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pgserver warns about XDG_RUNTIME_DIR on import
            import pgserver

        self.datadir.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(self.datadir, cleanup_mode="stop")
        info = self._server.get_postmaster_info()
        host = info.socket_dir or "127.0.0.1"
        port = info.port or 5432
        return f"postgresql+psycopg://postgres@/postgres?host={host}&port={port}"

    def stop(self) -> None:
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._server.cleanup()
            self._server = None
