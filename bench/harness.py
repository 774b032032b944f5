"""A whole storefront on this machine for benchmarks: embedded PostgreSQL and Redis, the local
Resend, gunicorn serving the app and rq worker processes, all stopped again at the end."""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from devstack.postgres import EmbeddedPostgres
from devstack.redis import EmbeddedRedis, free_port
from fakes.resend_api.server import start_in_thread as start_resend

logging.getLogger("werkzeug").setLevel(logging.WARNING)

RESULTS = Path(__file__).with_name("results") / "latest.json"
WEBHOOK_SECRET = "whsec_bench"
CONNECT_WEBHOOK_SECRET = "whsec_bench_connect"  # the Connect endpoint's (shops' accounts)


class Stack:
    def __init__(self, web_workers: int = 2, queue_workers: dict[str, int] | None = None, *,
                 stripe: bool = False, cron: bool = False, env: dict[str, str] | None = None,
                 up_timeout: float = 30):
        # stripe: also run the local Stripe as a process (webhooks to this app) and sync the
        # catalog to it; cron: also run ``python -m web cron``; env: extra environment;
        # up_timeout: how long the app may take to answer /healthz.
        self.with_stripe, self.with_cron, self.extra_env = stripe, cron, dict(env or {})
        self.up_timeout = up_timeout
        self.root = Path(tempfile.mkdtemp(prefix="contyzr-bench-"))
        self.web_workers = web_workers
        # {} means no queue workers at all (benchmarks of the web tier alone).
        self.queue_workers = {"billing": 1, "provisioning": 2} if queue_workers is None else queue_workers
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> Stack:
        self.postgres = EmbeddedPostgres(self.root / "postgres")
        self.redis = EmbeddedRedis(self.root / "redis", persist=False)
        self.resend = start_resend()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ, "APP_ENV": "testing", "SECRET_KEY": "bench-" + "k" * 40,
            "DATABASE_URL": self.postgres.start(), "REDIS_URL": self.redis.start(),
            "STRIPE_SECRET_KEY": "sk_test_bench", "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_CONNECT_WEBHOOK_SECRET": CONNECT_WEBHOOK_SECRET,
            "RESEND_API_KEY": "re_bench", "RESEND_API_URL": self.resend.url,
            "MAIL_RATE_PER_SECOND": "1000", "PUBLIC_URL": self.url,
            "INSTANCE_PATH": str(self.root / "instance"),
            # rq's line per job taken: the chaos run reads which job a worker holds from it.
            "WORKER_LOG_LEVEL": "info",
        }
        self.env.update(self.extra_env)
        if self.with_stripe:
            self.stripe_url = f"http://127.0.0.1:{free_port()}"
            self.env["STRIPE_API_BASE"] = self.stripe_url
        subprocess.run([sys.executable, "-m", "web", "db", "upgrade"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL)
        self.web = self.spawn(["-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
                               "--workers", str(self.web_workers), "--threads", "4",
                               "--log-level", "warning", "web.wsgi:app"])
        for queue, count in self.queue_workers.items():
            for _ in range(count):
                self.spawn(["-m", "web", "worker", "--queue", queue])
        self.wait_until_up(self.up_timeout)
        if self.with_stripe:
            self.start_stripe()
        if self.with_cron:
            self.cron = self.spawn(["-m", "web", "cron"])
        return self

    def start_stripe(self, timeout: float = 30) -> None:
        """The local Stripe on the port chosen in ``__enter__`` (platform events to
        /webhooks/stripe, connected accounts' to /webhooks/stripe/connect), then ``catalog
        sync`` to it."""
        port = self.stripe_url.rsplit(":", 1)[1]
        self.stripe = self.spawn(["-m", "fakes.stripe_api", "--port", port, "--webhook-url",
                                  f"{self.url}/webhooks/stripe", "--webhook-secret", WEBHOOK_SECRET,
                                  "--connect-webhook-url", f"{self.url}/webhooks/stripe/connect",
                                  "--connect-webhook-secret", CONNECT_WEBHOOK_SECRET])
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(f"{self.stripe_url}/_test/clock", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if self.stripe.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the local Stripe did not come up") from None
                time.sleep(0.2)
        subprocess.run([sys.executable, "-m", "web", "catalog", "sync"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL)

    def stripe_control(self, method: str, path: str, timeout: float = 60, **data) -> dict:
        """Call a ``/_test`` control of the local Stripe (form-encoded), return its JSON."""
        response = httpx.request(method, f"{self.stripe_url}/_test/{path.lstrip('/')}",
                                 data=data or None, timeout=timeout)
        response.raise_for_status()
        return response.json()

    def respawn(self, process: subprocess.Popen) -> subprocess.Popen:
        """Start a new process with the arguments of ``process`` (which should be dead)."""
        return self.spawn(list(process.args[1:]))

    def log_of(self, process: subprocess.Popen) -> Path:
        """The log file ``spawn`` gave this process."""
        return self.root / f"process-{self.processes.index(process)}.log"

    def spawn(self, args: list[str]) -> subprocess.Popen:
        with open(self.root / f"process-{len(self.processes)}.log", "wb") as log:
            # The child keeps its own copy of the file descriptor.
            process = subprocess.Popen([sys.executable, *args], env=self.env,  # noqa: S603
                                       stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def wait_until_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the app did not come up")

    def rss_mb(self, process: subprocess.Popen) -> float:
        """Resident memory of a process and its children (gunicorn's workers), in MB."""
        pids = [str(process.pid)]
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        if children.exists():
            pids += children.read_text().split()
        total = 0
        for pid in pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        return round(total / 1024, 1)

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.resend.stop()
        self.redis.stop()
        self.postgres.stop()
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(self.root, ignore_errors=True)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, {platform.python_implementation()} " \
           f"{platform.python_version()}, {platform.system()} {platform.release()}"


def record(figures: dict) -> None:
    """Merge figures into bench/results/latest.json."""
    current = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    current.update(figures, machine=machine())
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")


def median_of(runs: list[dict], key: str) -> float:
    return round(statistics.median(run[key] for run in runs), 4)
