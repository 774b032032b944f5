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
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bench.harness import Stack
from db.base import utcnow
from db.models import ProvisioningRun
from db.models.provisioning import RunStatus, StepOutcome

GOOD_CARD = "4242424242424242"
# The billing address Checkout asks for (Stripe Tax): a Dutch consumer.
DUTCH_CONSUMER = {"name": "Chaos Customer", "line1": "Damrak 1", "postal_code": "1012 LG",
                  "city": "Amsterdam", "country": "NL"}
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
                      data={"card": GOOD_CARD, **DUTCH_CONSUMER}, timeout=60, trust_env=False)
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

    def summary(self) -> str:
        lines = [line for line in self.tail.splitlines() if line.strip()]
        cause = next((line.strip() for line in lines if "unhandled exception" in line
                      or "Error:" in line or "Exception:" in line), "")
        return (f"{self.role} (pid {self.pid}) exited on its own with {self.returncode} at "
                f"{self.at:.1f} s: {cause[:200]} ... {lines[-1].strip()[:200] if lines else ''}")


def start_time(pid: int) -> int | None:
    """The running process's start time in clock ticks (to tell a pid from a later reuse of
    it); None when there is no such process or it is a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else int(fields[19])


def children_of(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(child) for child in handle.read().split()]
    except OSError:
        pass
    return found


def descendants_of(pid: int) -> list[int]:
    found, todo = [], children_of(pid)
    while todo and len(found) < 200:
        child = todo.pop()
        found.append(child)
        todo += children_of(child)
    return found


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def unix_socket_peers(pid: int) -> list[str]:
    """The processes at the other end of ``pid``'s Unix sockets (per ``ss -xp``), e.g. who is
    the client of a PostgreSQL backend: ["python pid=123 (ppid 1: ...cmdline...)"]."""
    try:
        out = subprocess.run(["ss", "-xpn"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    rows = [line.split() for line in out.splitlines() if line.startswith("u_")]
    owners = {row[5]: " ".join(row[8:]) for row in rows if len(row) > 8}
    peers = [row[7] for row in rows if len(row) > 8 and f"pid={pid}," in " ".join(row[8:])]
    found = []
    for owner in (owners.get(peer, "") for peer in peers):
        for client in re.findall(r"pid=(\d+)", owner):
            try:
                with open(f"/proc/{client}/cmdline", "rb") as handle:
                    cmdline = handle.read().replace(b"\0", b" ").decode()[:80]
            except OSError:
                cmdline = "?"
            found.append(f"pid {client} (parent {parent_of(int(client))}: {cmdline.strip()})")
    return found


class Supervisor:
    """Keeps the stack's processes by role. Processes we kill on purpose are replaced at once;
    any other exit is recorded (with the end of its log) and the process restarted after a
    delay (1 s, doubling while it keeps dying, at most 8 s), the way a process manager would.

    It also remembers every child the processes fork (rq's scheduler, gunicorn's workers), so
    that children orphaned by a killed parent can be reported and, at the end, stopped."""

    def __init__(self, stack: Stack, started: float, kill_children: bool = False,
                 restart: bool = True):
        self.stack = stack
        self.started = started
        self.kill_children = kill_children
        self.restart = restart  # False: a process that dies on its own stays dead
        self.lock = threading.RLock()
        self.current: dict[int, tuple[str, subprocess.Popen]] = {
            p.pid: (role_of(p), p) for p in stack.processes if p.poll() is None}
        self.killed: set[int] = set()
        self.exits: list[ProcessExit] = []
        self.fatal: list[str] = []
        self.children: dict[int, tuple[int | None, str]] = {}  # pid -> (start time, role)
        self._dead_since: dict[int, float] = {}
        self._recent_exits: dict[str, list[float]] = {}
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

    def kill(self, process: subprocess.Popen) -> tuple[subprocess.Popen, list[int]]:
        """SIGKILL ``process`` (with ``kill_children``: its children too) and start its
        replacement. Returns the replacement and the children left running."""
        with self.lock:
            self._remember_children()
            role, _ = self.current.pop(process.pid)
            children = descendants_of(process.pid)
            self.killed.add(process.pid)
            os.kill(process.pid, signal.SIGKILL)
            if self.kill_children:
                for child in children:
                    self._kill_if_same(child, self.children.get(child, (None, ""))[0])
            process.wait(10)
            time.sleep(0.1)  # let init reap what was killed
            fresh = self.stack.respawn(process)
            self.current[fresh.pid] = (role, fresh)
            return fresh, [child for child in children if start_time(child) is not None]

    def orphans(self) -> list[tuple[int, str]]:
        """Remembered children still running whose parent is no longer one of our processes."""
        with self.lock:
            ours = set(self.current)
            found = []
            for pid, (started_at, role) in self.children.items():
                if start_time(pid) == started_at and started_at is not None \
                        and parent_of(pid) not in ours:
                    found.append((pid, role))
            return found

    def reap_orphans(self) -> list[tuple[int, str]]:
        """SIGKILL the orphans (by pid, after checking it is still the same process)."""
        orphans = self.orphans()
        for pid, _ in orphans:
            self._kill_if_same(pid, self.children[pid][0])
        return orphans

    @staticmethod
    def _kill_if_same(pid: int, started_at: int | None) -> None:
        if started_at is not None and start_time(pid) == started_at:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _remember_children(self) -> None:
        for pid, (role, _) in list(self.current.items()):
            for child in descendants_of(pid):
                if child not in self.children:
                    self.children[child] = (start_time(child), f"child of {role} {pid}")

    def _restart_delay(self, role: str) -> float:
        now = time.monotonic()
        recent = [at for at in self._recent_exits.get(role, []) if now - at < 30]
        self._recent_exits[role] = recent
        return min(8.0, 2.0 ** max(0, len(recent) - 1))

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            with self.lock:
                self._remember_children()
                for pid, (role, process) in list(self.current.items()):
                    if process.poll() is None or pid in self.killed:
                        continue
                    if pid not in self._dead_since:
                        self._dead_since[pid] = time.monotonic()
                        self._recent_exits.setdefault(role, []).append(time.monotonic())
                        exit_ = ProcessExit(role, pid, process.returncode,
                                            elapsed_since(self.started),
                                            log_tail(self.stack.log_of(process), lines=80))
                        self.exits.append(exit_)
                        print(f"  [{exit_.at:7.1f}s] finding: {role} (pid {pid}) exited on its "
                              f"own with {process.returncode}; "
                              f"{'restarting it' if self.restart else 'NOT restarting it'}",
                              flush=True)
                    if not self.restart:
                        del self.current[pid]
                        continue
                    if role == "stripe":
                        self.fatal.append("the local Stripe process died; its state is lost")
                        del self.current[pid]
                        continue
                    if time.monotonic() - self._dead_since[pid] >= self._restart_delay(role):
                        del self.current[pid]
                        fresh = self.stack.respawn(process)
                        self.current[fresh.pid] = (role, fresh)


# Killing provisioning workers mid-run

JOB_LINE = re.compile(r"provision-([0-9a-f-]{36})")
TAKEN = ": provisioning: worker.jobs.provisioning.provision("  # rq's line when it takes a job


def job_in_hand(log_path) -> str | None:
    """The signup id of the provisioning job this worker is running, judging by its log: the
    last line naming a provisioning job is the one where it took the job (not one where it
    finished, failed or scheduled it)."""
    for line in reversed(log_tail(log_path, lines=60, max_bytes=16_000).splitlines()):
        found = JOB_LINE.search(line)
        if found:
            return found.group(1) if TAKEN in line else None
    return None


@dataclass
class Kill:
    at: float
    pid: int
    signup_id: str
    steps_done: int
    confirmed: bool  # the run was still 'running' (unfinished) once its worker was dead
    orphans: list[int] = field(default_factory=list)  # its forked children left running


class Killer:
    """SIGKILLs a provisioning worker while it is running a provisioning job."""

    def __init__(self, stack: Stack, supervisor: Supervisor, engine: Engine, started: float):
        self.stack, self.supervisor, self.engine, self.started = stack, supervisor, engine, started
        self.kills: list[Kill] = []

    def running_runs(self, session: Session) -> dict[str, ProvisioningRun]:
        runs = session.scalars(select(ProvisioningRun).where(ProvisioningRun.status == RunStatus.RUNNING))
        return {run.signup_id: run for run in runs}

    def try_kill(self) -> Kill | None:
        """Kill the worker running a provisioning job now, if there is one."""
        with Session(self.engine) as session:
            # Running now: a run left 'running' by an earlier kill has a stale heartbeat.
            fresh = utcnow() - timedelta(seconds=15)
            running = {signup_id: run for signup_id, run in self.running_runs(session).items()
                       if run.heartbeat_at is not None and run.heartbeat_at > fresh}
            if not running:
                return None
            for process in self.supervisor.processes("worker:provisioning"):
                signup_id = job_in_hand(self.stack.log_of(process))
                if signup_id not in running:
                    continue
                _, orphans = self.supervisor.kill(process)
                time.sleep(0.3)
                session.expire_all()
                run = session.scalar(select(ProvisioningRun).where(
                    ProvisioningRun.signup_id == signup_id))
                steps = sum(step.outcome == StepOutcome.DONE for step in run.steps)
                kill = Kill(elapsed_since(self.started), process.pid, signup_id, steps,
                            confirmed=run.status == RunStatus.RUNNING and run.finished_at is None,
                            orphans=orphans)
                self.kills.append(kill)
                print(f"  [{kill.at:7.1f}s] SIGKILL provisioning worker {process.pid} during "
                      f"signup {signup_id[:8]} ({steps} of 8 steps done, "
                      f"{'confirmed mid-run' if kill.confirmed else 'it had just finished'}); "
                      f"restarted{'; its child ' + str(orphans) + ' still runs' if orphans else ''}",
                      flush=True)
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
