"""``make run``: everything the storefront needs on one machine, stopped again by Ctrl-C.

Starts the embedded PostgreSQL and Redis (unless DATABASE_URL/REDIS_URL are set), the local
Stripe (unless STRIPE_SECRET_KEY is set), migrates, syncs the plan catalog, then runs one rq
worker per queue, the periodic scheduler and the web server. What they log goes to
``instance/logs/<name>.log``; the terminal shows what the launcher does, the first line of
each error any of them logs, and the addresses last (Enter shows them again).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import suppress
from pathlib import Path

import httpx

from devstack.postgres import EmbeddedPostgres
from devstack.redis import EmbeddedRedis, free_port
from devstack.terminal import Foreground
from worker.queues import QUEUE_NAMES

READY_SECONDS = 120  # the web server answers within this, or `make run` stops
STOP_SECONDS = 15  # for the web server, the workers and the scheduler to end after SIGTERM


class Launcher:
    def __init__(self, root: Path):
        self.env = dict(os.environ)
        self.instance = Path(self.env.get("INSTANCE_PATH") or root / "instance")
        self.logs = self.instance / "logs"
        self.env.setdefault("APP_ENV", "development")
        self.env["INSTANCE_PATH"] = str(self.instance)
        # The web server, the workers and the scheduler count into one folder; /metrics adds
        # them up. Ours is emptied at each start: no process of an earlier run writes there.
        self.metrics = None if self.env.get("PROMETHEUS_MULTIPROC_DIR") else self.instance / "metrics"
        if self.metrics:
            self.env["PROMETHEUS_MULTIPROC_DIR"] = str(self.metrics)
        self.port = int(self.env.get("PORT") or 5000)
        self.children: list[subprocess.Popen] = []
        self.services: list = []
        self.addresses: list[str] = []
        self.waiting = False  # in the waiting loop: a stop signal sets stop_asked
        self.stop_asked = False

    def say(self, message: str) -> None:
        print(f"[run] {message}", flush=True)

    def start_services(self) -> None:
        if not self.env.get("DATABASE_URL"):
            postgres = EmbeddedPostgres(self.instance / "postgres")
            self.env["DATABASE_URL"] = postgres.start()
            self.services.append(postgres)
            self.say(f"PostgreSQL (embedded) at {self.env['DATABASE_URL']}, data in {postgres.datadir}")
        if not self.env.get("REDIS_URL"):
            redis_server = EmbeddedRedis(self.instance / "redis")
            self.env["REDIS_URL"] = redis_server.start()
            self.services.append(redis_server)
            self.say(f"Redis (embedded) at {self.env['REDIS_URL']}")
        if not self.env.get("STRIPE_SECRET_KEY"):
            self.start_local_stripe()
        if not self.env.get("AI_API_BASE"):
            self.start_local_ai()

    def start_local_ai(self) -> None:
        """The local OpenAI-compatible API for the writing assistant (its answers are made from
        the request: good enough to try the flow, not to write a website)."""
        port = free_port()
        self.spawn("local AI", ["-m", "fakes.openai_api", "--port", str(port),
                                "--api-key", "sk-local"], log="ai")
        self.env.update(AI_API_BASE=f"http://127.0.0.1:{port}/v1", AI_API_KEY="sk-local",  # noqa: S106
                        AI_MODEL=self.env.get("AI_MODEL") or "gpt-4o-mini")
        self.say(f"local AI (OpenAI-compatible) at http://127.0.0.1:{port}/v1")

    def start_local_stripe(self) -> None:
        """The local Stripe signs with STRIPE_WEBHOOK_SECRET (and STRIPE_CONNECT_WEBHOOK_SECRET)
        when set (the first of a list), so events of one's own can be signed; else with new ones."""
        port = free_port()
        secret = _first(self.env.get("STRIPE_WEBHOOK_SECRET")) or "whsec_local_" + secrets.token_hex(16)
        connect_secret = (_first(self.env.get("STRIPE_CONNECT_WEBHOOK_SECRET"))
                          or "whsec_local_connect_" + secrets.token_hex(16))
        self.spawn("local Stripe", [
            "-m", "fakes.stripe_api", "--port", str(port),
            "--webhook-url", f"http://127.0.0.1:{self.port}/webhooks/stripe",
            "--webhook-secret", secret,
            "--connect-webhook-url", f"http://127.0.0.1:{self.port}/webhooks/stripe/connect",
            "--connect-webhook-secret", connect_secret,
        ], log="stripe")
        self.env.update(
            STRIPE_SECRET_KEY="sk_test_local",  # noqa: S106 (the local fake accepts any sk_ key)
            STRIPE_API_BASE=f"http://127.0.0.1:{port}",
            STRIPE_WEBHOOK_SECRET=self.env.get("STRIPE_WEBHOOK_SECRET") or secret,
            STRIPE_CONNECT_WEBHOOK_SECRET=self.env.get("STRIPE_CONNECT_WEBHOOK_SECRET") or connect_secret,
        )
        self.say(f"local Stripe at http://127.0.0.1:{port} (test card 4242 4242 4242 4242)")

    def spawn(self, name: str, args: list[str], log: str | None = None) -> subprocess.Popen:
        # A session of its own: Ctrl-C in the terminal reaches only this launcher, which stops
        # the web server and the workers before Redis and PostgreSQL (not all at once).
        output = None
        if log:
            self.logs.mkdir(parents=True, exist_ok=True)
            output = open(self.logs / f"{log}.log", "a")  # noqa: SIM115 (the child holds it)
        try:
            process = subprocess.Popen([sys.executable, *args], env=self.env,  # noqa: S603
                                       start_new_session=True, stdin=subprocess.DEVNULL,
                                       stdout=output, stderr=output)
        finally:
            if output:
                output.close()
        process.name = name  # type: ignore[attr-defined]
        process.log = log  # type: ignore[attr-defined]
        self.children.append(process)
        return process

    def contyzr(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "web", *args], env=self.env,  # noqa: S603
                       stdin=subprocess.DEVNULL, check=True)

    def run(self) -> int:
        # Ctrl-C and SIGTERM (a service manager, `timeout`, `kill`) stop everything: during
        # the start-up at once; once running, at the next look of the waiting loop, so that
        # the signal never lands inside subprocess's own bookkeeping of a child.
        signal.signal(signal.SIGINT, self._on_stop_signal)
        signal.signal(signal.SIGTERM, self._on_stop_signal)
        with Foreground() as terminal:  # Ctrl-C reaches this launcher, not make above it
            try:
                if self.metrics:
                    shutil.rmtree(self.metrics, ignore_errors=True)
                    self.metrics.mkdir(parents=True)
                self.start_services()
                self.contyzr("db", "upgrade")
                self.contyzr("catalog", "sync")
                for queue in QUEUE_NAMES:
                    self.spawn(f"worker {queue}", ["-m", "web", "worker", "--queue", queue],
                               log=f"worker-{queue}")
                self.spawn("scheduler", ["-m", "web", "cron"], log="scheduler")
                self.spawn("web", ["-m", "web", "run", "--host", "127.0.0.1",
                                   "--port", str(self.port), "--no-reload"], log="web")
                self.say(f"logs in {self.logs}/ (web.log has every request); errors show here")
                threading.Thread(target=follow_errors, args=(self.logs,), daemon=True).start()
                self.wait_until_ready()
                self.show_addresses()
                if terminal.interactive:
                    threading.Thread(target=self.repeat_on_enter, daemon=True).start()
                return self.wait()
            except subprocess.CalledProcessError as exc:
                return exc.returncode or 1
            except KeyboardInterrupt:
                print(flush=True)  # below the ^C the terminal echoed
                return 0
            finally:
                self.stop()

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            self.check_children()
            with suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{self.port}/livez", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise Stopped(f"the web server did not answer on port {self.port}")

    def show_addresses(self) -> None:
        # The app answers only on PUBLIC_URL's host and on tenant subdomains (web/hosts.py).
        public_url = (self.env.get("PUBLIC_URL") or f"http://localhost:{self.port}").rstrip("/")
        domain = self.env.get("PLATFORM_DOMAIN") or "localhost"
        self.say(f"storefront at {public_url}/pricing  (Ctrl-C stops, Enter shows this again)")
        self.say(f"tenant sites at http://<subdomain>.{domain}:{self.port}/")

    def repeat_on_enter(self) -> None:
        for _line in sys.stdin:
            self.show_addresses()

    def check_children(self) -> None:
        for process in self.children:
            if process.poll() is not None:
                where = f"; see {self.logs / process.log}.log" if process.log else ""
                raise Stopped(f"{process.name} exited with {process.returncode}{where}",
                              process.returncode or 1)

    def _on_stop_signal(self, _signum, _frame) -> None:
        if not self.waiting:
            raise KeyboardInterrupt
        self.stop_asked = True

    def wait(self) -> int:
        self.waiting = True
        while not self.stop_asked:
            try:
                self.check_children()
            except Stopped as stopped:
                self.say(f"{stopped}; stopping")
                return stopped.code
            time.sleep(0.5)
        print(flush=True)  # below the ^C the terminal echoed
        return 0

    def stop(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut this short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for process in self.children:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS  # all of them together, then killed
        for process in self.children:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{process.name} did not stop within {STOP_SECONDS} s; killed")
                process.kill()
                with suppress(subprocess.TimeoutExpired):
                    process.wait(5)
        for service in reversed(self.services):
            service.stop()
        self.say("stopped")


ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL)\b|\"level\": ?\"(error|critical)\"|^Traceback", re.I)


def follow_errors(logs: Path, every: float = 0.5) -> None:
    """Print the error lines the children log (one line each: the rest is in the file)."""
    offsets: dict[Path, int] = {path: path.stat().st_size for path in logs.glob("*.log")}
    while True:
        time.sleep(every)
        for path in logs.glob("*.log"):
            chunk = b""
            with suppress(OSError), path.open("rb") as log:
                log.seek(offsets.get(path, 0))
                chunk = log.read()
            offsets[path] = offsets.get(path, 0) + len(chunk)
            for line in chunk.decode(errors="replace").splitlines():
                if ERROR_LINE.search(line):
                    print(f"[{path.stem}] {line[:300]}  (more in {path})", flush=True)


class Stopped(Exception):
    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def main() -> None:
    launcher = Launcher(Path.cwd())
    try:
        sys.exit(launcher.run())
    except Stopped as stopped:
        launcher.say(str(stopped))
        sys.exit(stopped.code)


def _first(setting: str | None) -> str | None:
    return (setting or "").split(",")[0].strip() or None

