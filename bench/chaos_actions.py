"""What the chaos run does to the stack: signups over HTTP, SIGKILLed provisioning workers, a
Redis outage, and a supervisor that restarts processes that die on their own (as systemd would)
while recording each such exit as a finding."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bench.harness import Stack
from db.models import ProvisioningRun

GOOD_CARD = "4242424242424242"
SIGNUP_PATH = "/signup?plan=starter&interval=month"
STARTER_TEMPLATES = ("corporate", "portfolio", "blog")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ERROR_TEXT = re.compile(r'class="[^"]*(?:error|flash)[^"]*"[^>]*>\s*([^<]{3,200})')


def elapsed_since(start: float) -> float:
    return round(time.monotonic() - start, 1)


# Signups


@dataclass
class PaidSignup:
    index: int
    subdomain: str
    email: str
    template: str
    session_id: str
    customer_id: str


@dataclass
class SignupResults:
    paid: list[PaidSignup] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # one line per signup given up on
    retried: list[str] = field(default_factory=list)  # attempts that failed but were retried
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def done(self) -> int:
        with self.lock:
            return len(self.paid) + len(self.failed)


def one_signup(stack: Stack, index: int, seed: int, results: SignupResults, attempts: int = 3) -> None:
    """The real form over HTTP (GET for the CSRF token, POST), then paying its Checkout Session
    through the local Stripe's test control. A failed attempt is sent again (the app resumes the
    same signup); after ``attempts`` the signup counts as failed."""
    subdomain = f"chaos{seed}-{index}"
    email = f"owner-{seed}-{index}@chaos.example"
    template = STARTER_TEMPLATES[index % len(STARTER_TEMPLATES)]
    form = {"company": f"Chaos Company {index}", "subdomain": subdomain, "email": email,
            "password": "tangerine kettle drums 42", "template": template, "terms": "y"}
    with httpx.Client(base_url=stack.url, timeout=60, trust_env=False) as browser:
        for attempt in range(attempts):
            if attempt:
                time.sleep(1 + attempt)
            try:
                outcome = _signup_attempt(stack, browser, form)
            except httpx.HTTPError as exc:
                outcome = f"{type(exc).__name__}: {exc}"
            with results.lock:
                if isinstance(outcome, tuple):
                    session_id, customer = outcome
                    results.paid.append(PaidSignup(index, subdomain, email, template, session_id,
                                                   customer))
                    return
                results.retried.append(f"signup {index} attempt {attempt + 1}: {outcome}")
    with results.lock:
        results.failed.append(f"signup {index} ({subdomain}): {outcome}")


def _signup_attempt(stack: Stack, browser: httpx.Client, form: dict) -> tuple[str, str] | str:
    """(Checkout Session id, Stripe customer id) once paid, or what went wrong."""
    page = browser.get(SIGNUP_PATH)
    token = CSRF.search(page.text)
    if page.status_code != 200 or token is None:
        return f"GET /signup answered {page.status_code}"
    sent = browser.post(SIGNUP_PATH, data={**form, "csrf_token": token.group(1)})
    if sent.status_code != 303:
        found = ERROR_TEXT.findall(sent.text)
        return f"POST /signup answered {sent.status_code}: {'; '.join(found)[:300]}"
    session_id = sent.headers["Location"].split("?")[0].rstrip("/").rsplit("/", 1)[1]
    paid = httpx.post(f"{stack.stripe_url}/_test/checkout/sessions/{session_id}/pay",
                      data={"card": GOOD_CARD}, timeout=60, trust_env=False)
    if paid.status_code != 200:
        return f"paying {session_id} answered {paid.status_code}: {paid.text[:200]}"
    return session_id, paid.json()["session"]["customer"]


# Processes


def role_of(process: subprocess.Popen) -> str:
    args = list(process.args)
    if "gunicorn" in args:
        return "web"
    if "fakes.stripe_api" in args:
        return "stripe"
    if "worker" in args:
        return "worker:" + args[args.index("--queue") + 1]
    if "cron" in args:
        return "cron"
    return " ".join(args[1:])


def log_tail(path, lines: int = 25, max_bytes: int = 64_000) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - max_bytes))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class ProcessExit:
    role: str
    pid: int
    returncode: int | None
    at: float  # seconds since the start of the run
    tail: str


class Supervisor:
    """Keeps the stack's processes by role. Processes we kill on purpose are replaced at once;
    any other exit is recorded (with the end of its log) and the process restarted after a
    second, the way a process manager would."""

    RESTART_DELAY = 1.0

    def __init__(self, stack: Stack, started: float):
        self.stack = stack
        self.started = started
        self.lock = threading.RLock()
        self.current: dict[int, tuple[str, subprocess.Popen]] = {
            p.pid: (role_of(p), p) for p in stack.processes if p.poll() is None}
        self.killed: set[int] = set()
        self.exits: list[ProcessExit] = []
        self.fatal: list[str] = []
        self._dead_since: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="chaos-supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def processes(self, role: str) -> list[subprocess.Popen]:
        with self.lock:
            return [p for r, p in self.current.values() if r == role and p.poll() is None]

    def kill(self, process: subprocess.Popen) -> subprocess.Popen:
        """SIGKILL ``process`` and start its replacement."""
        with self.lock:
            role, _ = self.current.pop(process.pid)
            self.killed.add(process.pid)
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)
            fresh = self.stack.respawn(process)
            self.current[fresh.pid] = (role, fresh)
            return fresh

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            with self.lock:
                for pid, (role, process) in list(self.current.items()):
                    if process.poll() is None or pid in self.killed:
                        continue
                    if pid not in self._dead_since:
                        self._dead_since[pid] = time.monotonic()
                        self.exits.append(ProcessExit(role, pid, process.returncode,
                                                      elapsed_since(self.started),
                                                      log_tail(self.stack.log_of(process))))
                        print(f"  [{elapsed_since(self.started):7.1f}s] finding: {role} (pid {pid}) "
                              f"exited on its own with {process.returncode}; restarting it",
                              flush=True)
                    if role == "stripe":
                        self.fatal.append("the local Stripe process died; its state is lost")
                        del self.current[pid]
                        continue
                    if time.monotonic() - self._dead_since[pid] >= self.RESTART_DELAY:
                        del self.current[pid]
                        fresh = self.stack.respawn(process)
                        self.current[fresh.pid] = (role, fresh)


# Killing provisioning workers mid-run

JOB_LINE = re.compile(r"provision-([0-9a-f-]{36})")


def job_in_hand(log_path) -> str | None:
    """The signup id of the provisioning job this worker is running, judging by its log: the
    last line naming a provisioning job is the one where it took the job, not where it ended it."""
    for line in reversed(log_tail(log_path, lines=60, max_bytes=16_000).splitlines()):
        found = JOB_LINE.search(line)
        if found:
            ended = any(word in line for word in ("Job OK", "retry", "Retry", "failed", "Failed",
                                                  "Traceback", "exception"))
            return None if ended else found.group(1)
    return None


@dataclass
class Kill:
    at: float
    pid: int
    signup_id: str
    steps_done: int
    confirmed: bool  # the run was still 'running' (unfinished) once its worker was dead


class Killer:
    """SIGKILLs a provisioning worker while it is running a provisioning job."""

    def __init__(self, stack: Stack, supervisor: Supervisor, engine: Engine, started: float):
        self.stack, self.supervisor, self.engine, self.started = stack, supervisor, engine, started
        self.kills: list[Kill] = []

    def running_runs(self, session: Session) -> dict[str, ProvisioningRun]:
        runs = session.scalars(select(ProvisioningRun).where(ProvisioningRun.status == "running"))
        return {run.signup_id: run for run in runs}

    def try_kill(self) -> Kill | None:
        """Kill the worker running a provisioning job now, if there is one."""
        with Session(self.engine) as session:
            running = self.running_runs(session)
            if not running:
                return None
            for process in self.supervisor.processes("worker:provisioning"):
                signup_id = job_in_hand(self.stack.log_of(process))
                if signup_id not in running:
                    continue
                self.supervisor.kill(process)
                time.sleep(0.3)
                session.expire_all()
                run = session.scalar(select(ProvisioningRun).where(
                    ProvisioningRun.signup_id == signup_id))
                steps = sum(step.outcome == "done" for step in run.steps)
                kill = Kill(elapsed_since(self.started), process.pid, signup_id, steps,
                            confirmed=run.status == "running" and run.finished_at is None)
                self.kills.append(kill)
                print(f"  [{kill.at:7.1f}s] SIGKILL provisioning worker {process.pid} during "
                      f"signup {signup_id[:8]} ({steps} of 8 steps done, "
                      f"{'confirmed mid-run' if kill.confirmed else 'it had just finished'}); "
                      "restarted", flush=True)
                return kill
        return None


class Chaos(threading.Thread):
    """During the signups: one Redis outage once ``outage_after()`` is true, and ``kills``
    confirmed kills of provisioning workers, the k-th not before ``may_kill(k)`` is true."""

    def __init__(self, stack: Stack, killer: Killer, kills: int, outage_seconds: float,
                 outage_after: Callable[[], bool], may_kill: Callable[[int], bool],
                 started: float, deadline: float):
        super().__init__(name="chaos", daemon=True)
        self.stack, self.killer, self.kills = stack, killer, kills
        self.outage_seconds, self.outage_after, self.may_kill = outage_seconds, outage_after, may_kill
        self.started, self.deadline = started, deadline
        self.outage: tuple[float, float] | None = None  # (start, end) in seconds since start
        self.errors: list[str] = []
        self.stopping = threading.Event()

    @property
    def confirmed_kills(self) -> int:
        return sum(kill.confirmed for kill in self.killer.kills)

    def run(self) -> None:
        while not self.stopping.is_set() and time.monotonic() < self.deadline:
            try:
                if self.outage is None and self.outage_seconds > 0 and self.outage_after():
                    self.redis_outage()
                    continue
                done = self.confirmed_kills
                # Unconfirmed kills (the run had just finished) are retried, a bounded number of times.
                if done < self.kills and len(self.killer.kills) < self.kills * 5 \
                        and self.may_kill(done) and self.killer.try_kill() is not None:
                    continue
                if (self.outage is not None or self.outage_seconds <= 0) and done >= self.kills:
                    return
            except Exception as exc:  # keep going: a failed poll must not end the chaos
                self.errors.append(f"{type(exc).__name__}: {exc}")
                if len(self.errors) > 50:
                    return
            self.stopping.wait(0.05)

    def redis_outage(self) -> None:
        start = elapsed_since(self.started)
        print(f"  [{start:7.1f}s] Redis stopped for {self.outage_seconds:g} s "
              f"(port {self.stack.redis.port})", flush=True)
        self.stack.redis.stop()
        time.sleep(self.outage_seconds)
        self.stack.redis.start()
        self.outage = (start, elapsed_since(self.started))
        print(f"  [{self.outage[1]:7.1f}s] Redis started again on port {self.stack.redis.port}",
              flush=True)
