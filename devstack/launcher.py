"""``make run``: everything the storefront needs on one machine, stopped again by Ctrl-C.

Starts the embedded PostgreSQL and Redis (unless DATABASE_URL/REDIS_URL are set), the local
Stripe (unless STRIPE_SECRET_KEY is set), migrates, syncs the plan catalog, then runs one rq
worker per queue, the periodic scheduler and the web server.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from devstack.postgres import EmbeddedPostgres
from devstack.redis import EmbeddedRedis, free_port
from worker.queues import QUEUE_NAMES


class Launcher:
    def __init__(self, root: Path):
        self.instance = root / "instance"
        self.env = dict(os.environ)
        self.env.setdefault("APP_ENV", "development")
        self.env["INSTANCE_PATH"] = str(self.instance)
        self.port = int(self.env.get("PORT") or 5000)
        self.children: list[subprocess.Popen] = []
        self.services: list = []

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

    def start_local_stripe(self) -> None:
        port = free_port()
        secret = "whsec_local_" + secrets.token_hex(16)
        connect_secret = "whsec_local_connect_" + secrets.token_hex(16)
        self.spawn("local Stripe", [
            "-m", "fakes.stripe_api", "--port", str(port),
            "--webhook-url", f"http://127.0.0.1:{self.port}/webhooks/stripe",
            "--webhook-secret", secret,
            "--connect-webhook-url", f"http://127.0.0.1:{self.port}/webhooks/stripe/connect",
            "--connect-webhook-secret", connect_secret,
        ])
        self.env.update(
            STRIPE_SECRET_KEY="sk_test_local",  # noqa: S106 (the local fake accepts any sk_ key)
            STRIPE_API_BASE=f"http://127.0.0.1:{port}",
            STRIPE_WEBHOOK_SECRET=secret,
            STRIPE_CONNECT_WEBHOOK_SECRET=connect_secret,
        )
        self.say(f"local Stripe at http://127.0.0.1:{port} (test card 4242 4242 4242 4242)")

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        # A session of its own: Ctrl-C in the terminal reaches only this launcher, which stops
        # the web server and the workers before Redis and PostgreSQL (not all at once).
        process = subprocess.Popen([sys.executable, *args], env=self.env,  # noqa: S603
                                   start_new_session=True)
        process.name = name  # type: ignore[attr-defined]
        self.children.append(process)
        return process

    def contyzr(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "web", *args], env=self.env, check=True)  # noqa: S603

    def run(self) -> int:
        # SIGTERM (a service manager, `timeout`, `kill`) stops everything as Ctrl-C does.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            self.start_services()
            self.contyzr("db", "upgrade")
            self.contyzr("catalog", "sync")
            for queue in QUEUE_NAMES:
                self.spawn(f"worker {queue}", ["-m", "web", "worker", "--queue", queue])
            self.spawn("scheduler", ["-m", "web", "cron"])
            self.spawn("web", ["-m", "web", "run", "--host", "127.0.0.1",
                               "--port", str(self.port), "--no-reload"])
            # The app answers only on PUBLIC_URL's host and on tenant subdomains (web/hosts.py).
            public_url = (self.env.get("PUBLIC_URL") or f"http://localhost:{self.port}").rstrip("/")
            domain = self.env.get("PLATFORM_DOMAIN") or "localhost"
            self.say(f"storefront at {public_url}/pricing  (Ctrl-C stops)")
            self.say(f"tenant sites at http://<subdomain>.{domain}:{self.port}/")
            return self.wait()
        except subprocess.CalledProcessError as exc:
            return exc.returncode or 1
        except KeyboardInterrupt:
            return 0
        finally:
            self.stop()

    def wait(self) -> int:
        while True:
            for process in self.children:
                if process.poll() is not None:
                    self.say(f"{process.name} exited with {process.returncode}; stopping")
                    return process.returncode or 1
            time.sleep(0.5)

    def stop(self) -> None:
        for process in self.children:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.children:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        for service in reversed(self.services):
            service.stop()
        self.say("stopped")


def main() -> None:
    sys.exit(Launcher(Path.cwd()).run())


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt
