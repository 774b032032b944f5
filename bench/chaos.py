"""Chaos suite: many signups through the local Stripe while things break, then proof that the
storefront converged without a single doubled side effect.

    .venv/bin/python -m bench.chaos [--signups 500] [--kills 5] [--seed 1] [--redis-outage 10]

On a whole stack (embedded PostgreSQL and Redis, gunicorn, rq workers per queue, the cron
process, the local Stripe as a process, the local Resend): signups through the real form over
HTTP (CSRF included), each Checkout Session paid through the local Stripe's test control, while
webhook deliveries are duplicated (30 %), reordered and fail on the first attempt (10 %), the
local Resend answers 500 to 20 % of requests, Redis stops for ``--redis-outage`` seconds and
starts again on the same port, and provisioning workers are SIGKILLed ``--kills`` times while
running a provisioning job (and restarted). Then a batch of failed renewals: a subset of
customers' next payments decline, the fake clock runs past the renewal and Stripe's retries
(3, 5, 7 days) until the subscriptions are ``unpaid`` (the app suspends), then their open
invoices are paid (the app reactivates). Every wait is bounded. The last line is

    chaos: signups=N active=N mails=N unprocessed_events=0 duplicate_effects=0 suspended=N reactivated=N

and the exit status is 1 when any check failed (each failed check is printed before it).

A process that dies on its own is restarted (as a process manager would; ``--no-restart``: not)
and reported as a finding. ``--kill-children`` also SIGKILLs the killed worker's forked children (its rq
scheduler), as systemd's KillMode=control-group would; by default only the worker's pid is
killed, as ``kill -9 <pid>`` does. The processes' logs are kept in a temporary directory (printed)
when a check failed or ``CHAOS_KEEP_LOGS=1`` is set.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from bench.chaos_actions import (
    GOOD_CARD,
    Chaos,
    Killer,
    SignupResults,
    Supervisor,
    elapsed_since,
    log_tail,
    one_signup,
    start_time,
    unix_socket_peers,
)
from bench.chaos_checks import Snapshot, duplicate_effects, recipient, resend_mails, snapshot
from bench.harness import Stack
from db.models import ProvisioningRun, StripeEvent, Tenant
from db.models.provisioning import RunStatus

# Who holds the session-level advisory lock that tenants/provisioning.py takes per signup.
ADVISORY_LOCK_HOLDERS = """
SELECT a.pid, a.state, a.backend_start, date_trunc('second', now() - a.state_change) AS idle_for
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted
  AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended(:key, 0)
"""
RETRY_SCHEDULE_DAYS = (3, 5, 7)  # the local Stripe's default smart retries
CLOCK_STEPS_DAYS = (32, 3, 5, 7)  # past the monthly renewal, then past each retry


@dataclass
class ChaosConfig:
    signups: int = 500
    kills: int = 5
    seed: int = 1
    redis_outage: float = 10.0  # seconds; 0: no outage
    clients: int = 6  # concurrent signup clients
    failed_renewals: int | None = None  # default: a tenth of the signups, at least 2
    duplicate_rate: float = 0.3
    fail_first_rate: float = 0.1
    resend_failure_rate: float = 0.2
    timeout: float = 600.0  # the longest wait for one phase to converge, in seconds
    web_workers: int = 2
    billing_workers: int = 2
    provisioning_workers: int = 2
    kill_children: bool = False  # also SIGKILL the killed worker's forked children (its rq scheduler)
    restart: bool = True  # restart processes that die on their own (as a process manager would)
    # 0: the repairing sweeps on their production schedule (events left 30 s to their webhook's
    # job, swept every 30 s; provisioning runs resumed after standing still 20 s, swept every
    # 15 s). N: every one of those sweeps every N s, after N s, so that a short run converges as
    # soon as the work is done rather than on the next fixed sweep.
    sweep_seconds: int = 0

    @property
    def failing(self) -> int:
        wanted = self.failed_renewals if self.failed_renewals is not None else max(2, self.signups // 10)
        return min(wanted, self.signups)


@dataclass
class Report:
    figures: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    def check(self, ok: bool, failure: str) -> bool:
        if not ok:
            self.failures.append(failure)
        return ok

    @property
    def line(self) -> str:
        f = self.figures
        return (f"chaos: signups={f.get('signups', 0)} active={f.get('active', 0)} "
                f"mails={f.get('mails', 0)} unprocessed_events={f.get('unprocessed_events', '?')} "
                f"duplicate_effects={f.get('duplicate_effects', '?')} "
                f"suspended={f.get('suspended', 0)} reactivated={f.get('reactivated', 0)}")


class Run:
    def __init__(self, stack: Stack, config: ChaosConfig, report: Report, started: float):
        self.stack, self.config, self.report, self.started = stack, config, report, started
        self.engine = create_engine(stack.env["DATABASE_URL"], pool_size=4, max_overflow=4)
        self.supervisor = Supervisor(stack, started, config.kill_children, config.restart)
        self.results = SignupResults()

    def say(self, message: str) -> None:
        print(f"  [{elapsed_since(self.started):7.1f}s] {message}", flush=True)

    # Waiting

    def deliveries_pending(self) -> int:
        response = httpx.post(f"{self.stack.stripe_url}/_test/delivery/flush", data={"timeout": 0},
                              timeout=30, trust_env=False)
        return int(response.json()["pending"])

    def wait_for(self, label: str, missing: Callable[[], str | None],
                 hopeless: Callable[[], str | None] = lambda: None) -> bool:
        """Poll ``missing()`` (None once converged, else what is still missing) every second, at
        most ``config.timeout`` seconds, or until ``hopeless()`` says why it never will (checked
        every 5 s). True when it converged."""
        deadline = time.monotonic() + self.config.timeout
        last_said = last_hope = start = time.monotonic()
        while True:
            try:
                problem = missing()
            except Exception as exc:  # a poll during trouble: try again
                problem = f"poll failed: {type(exc).__name__}: {exc}"
            if problem is None:
                self.say(f"{label}: converged after {time.monotonic() - start:.1f} s")
                return True
            if time.monotonic() > deadline:
                self.report.failures.append(f"{label}: not converged within "
                                            f"{self.config.timeout:g} s: {problem}")
                self.say(f"{label}: NOT converged: {problem}")
                return False
            if time.monotonic() - last_hope >= 5 and (reason := hopeless()):
                self.report.failures.append(f"{label}: cannot converge: {reason}; {problem}")
                self.say(f"{label}: gave up waiting after {time.monotonic() - start:.1f} s: {reason}")
                return False
            if time.monotonic() - last_hope >= 5:
                last_hope = time.monotonic()
            if time.monotonic() - last_said >= 15:
                self.say(f"{label}: waiting: {problem}")
                last_said = time.monotonic()
            time.sleep(1)

    def settled(self, snap: Snapshot, mails: bool = True) -> str | None:
        """Nothing in flight: every delivery made, every stored event processed and (with
        ``mails``) no queued mail."""
        pending = self.deliveries_pending()
        if pending or snap.unprocessed or (mails and snap.outbox_pending):
            return (f"{pending} deliveries pending, {snap.unprocessed} events unprocessed, "
                    f"{snap.outbox_pending} mails queued")
        return None

    # Phases

    def run(self) -> None:
        config, stack = self.config, self.stack
        stack.stripe_control("POST", "delivery", duplicate_rate=config.duplicate_rate, reorder="true",
                             fail_first_rate=config.fail_first_rate, seed=config.seed)
        stack.resend.state.fail_randomly(500, config.resend_failure_rate, seed=config.seed)
        self.supervisor.start()
        try:
            self.wait_ready()
            self.signups()
            self.renewals()
            self.final_checks()
        finally:
            self.supervisor.stop()
            orphans = self.supervisor.reap_orphans()
            self.engine.dispose()
        for exit_ in self.supervisor.exits:
            self.report.findings.append(exit_.summary())
        if orphans:
            self.report.findings.append(
                f"{len(orphans)} forked children outlived their SIGKILLed parent until the end of "
                f"the run (then killed): {orphans}")
        for fatal in self.supervisor.fatal:
            self.report.failures.append(fatal)

    def wait_ready(self, timeout: float = 120) -> None:
        """Start the chaos only once every worker listens and the cron process runs (they take
        a while to import on a busy machine, and a Redis outage would stop their start-up)."""
        markers = {"worker": "Listening on", "cron": "CronScheduler"}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.supervisor.lock:
                processes = list(self.supervisor.current.values())
            waiting = [
                role for role, process in processes
                if role.split(":")[0] in markers
                and markers[role.split(":")[0]] not in log_tail(self.stack.log_of(process), 200)]
            if not waiting:
                self.say("every worker listens and cron runs")
                return
            time.sleep(0.5)
        self.report.findings.append(f"still starting after {timeout:g} s: {waiting}")

    def signups(self) -> None:
        config, results = self.config, self.results
        n = config.signups
        killer = Killer(self.stack, self.supervisor, self.engine, self.started)
        chaos = Chaos(
            self.stack, killer, config.kills, config.redis_outage,
            outage_after=lambda: results.done >= max(1, n // 4),
            may_kill=lambda k: results.done >= k * n / (config.kills + 1),
            started=self.started, deadline=time.monotonic() + 2 * config.timeout)
        self.say(f"{n} signups with {config.clients} clients; webhooks duplicated "
                 f"{config.duplicate_rate:.0%}, reordered, first delivery failing "
                 f"{config.fail_first_rate:.0%}; Resend answering 500 to "
                 f"{config.resend_failure_rate:.0%}")
        phase = time.monotonic()
        chaos.start()
        with ThreadPoolExecutor(max_workers=config.clients, thread_name_prefix="signup") as pool:
            futures = [pool.submit(one_signup, self.stack, i, config.seed, results) for i in range(n)]
            pending = futures
            while pending:
                _, pending = wait_futures(pending, timeout=15)
                self.say(f"signups: {len(results.paid)} paid, {len(results.failed)} failed of {n}")
            for future in futures:
                future.result()  # a bug in the client itself must not pass silently
        signup_seconds = time.monotonic() - phase
        paid = len(results.paid)
        self.report.figures.update(signups=paid, signup_seconds=round(signup_seconds, 1))
        self.report.check(not results.failed,
                          f"{len(results.failed)} signups failed, e.g. {results.failed[:3]}")
        if results.retried:
            self.report.findings.append(f"{len(results.retried)} signup attempts failed and were "
                                        f"sent again, e.g. {results.retried[:3]}")

        def converged() -> str | None:
            snap = snapshot(self.engine)
            welcome = resend_mails(self.stack.resend, "welcome-")
            if chaos.is_alive() and config.redis_outage > 0 and chaos.outage is None:
                return f"the Redis outage is not over yet; {snap.line()}"
            if chaos.is_alive() and chaos.confirmed_kills < config.kills \
                    and snap.runs.get("running", 0) + snap.runs.get("queued", 0):
                return f"kills still to come; {snap.line()}"
            if snap.live != paid or snap.welcome_sent != paid or len(welcome) != paid \
                    or snap.runs.get("succeeded", 0) != paid:
                return f"{snap.line()} resend_welcome={len(welcome)} (want {paid})"
            return self.settled(snap)

        ok = self.wait_for("signups", converged, hopeless=lambda: self.stuck_for_good(killer))
        chaos.stopping.set()
        chaos.join(15)
        self.report.figures["converge_seconds"] = round(time.monotonic() - phase - signup_seconds, 1)
        self.check_chaos_happened(chaos, killer)
        self.check_signup_phase(paid, ok)

    def stuck_for_good(self, killer: Killer) -> str | None:
        """Everything else has settled, and every unfinished run is one that nothing will resume:
        killed over a minute ago, its advisory lock held by a connection idle (or idle in
        transaction) for over 30 s."""
        if not killer.kills or self.settled(snapshot(self.engine), mails=False) is not None:
            return None
        kills = {kill.signup_id: kill for kill in killer.kills}
        stuck = []
        with Session(self.engine) as session:
            unfinished = session.scalars(select(ProvisioningRun).where(
                ProvisioningRun.status != RunStatus.SUCCEEDED)).all()
            for run in unfinished:
                kill = kills.get(run.signup_id)
                if kill is None or elapsed_since(self.started) - kill.at < 60:
                    return None
                holders = session.execute(text(ADVISORY_LOCK_HOLDERS),
                                          {"key": "provision:" + kill.signup_id}).all()
                idle = [(pid, state) for pid, state, _, idle_for in holders
                        if state in ("idle", "idle in transaction") and idle_for.total_seconds() > 30]
                if not idle:
                    return None
                stuck.append(f"the run killed at {kill.at} s is {run.status} and its advisory lock "
                             f"is held by backend {idle[0][0]}, {idle[0][1]} for over 30 s")
        return "; ".join(stuck) or None

    def check_chaos_happened(self, chaos: Chaos, killer: Killer) -> None:
        config, report = self.config, self.report
        report.figures.update(kills=chaos.confirmed_kills, redis_outage=chaos.outage)
        if config.redis_outage > 0:
            report.check(chaos.outage is not None, "Redis was never stopped")
        report.check(chaos.confirmed_kills >= config.kills,
                     f"only {chaos.confirmed_kills} of {config.kills} provisioning workers were "
                     "killed while running a provisioning job")
        if chaos.errors:
            report.findings.append(f"chaos thread errors: {chaos.errors[:3]}")
        unconfirmed = [k for k in killer.kills if not k.confirmed]
        if unconfirmed:
            report.findings.append(f"{len(unconfirmed)} kills hit a worker whose run had just "
                                   "finished (not counted)")
        with Session(self.engine) as session:
            for kill in (k for k in killer.kills if k.confirmed):
                run = session.scalar(select(ProvisioningRun).where(
                    ProvisioningRun.signup_id == kill.signup_id))
                if report.check(run.status == RunStatus.SUCCEEDED,
                                f"the run killed at {kill.at} s (signup {kill.signup_id}) is still "
                                f"{run.status} (attempts {run.attempts}, error {run.error!r})"):
                    continue
                holders = session.execute(text(ADVISORY_LOCK_HOLDERS),
                                          {"key": "provision:" + kill.signup_id}).all()
                alive = [pid for pid in kill.orphans if start_time(pid) is not None]
                clients = [client for holder in holders for client in unix_socket_peers(holder[0])]
                report.failures.append(
                    f"  why: its advisory lock 'provision:{kill.signup_id}' is held by PostgreSQL "
                    f"backend(s) {[tuple(map(str, h)) for h in holders]} whose client socket is "
                    f"open in {clients or '?'}; the killed worker {kill.pid} had forked children "
                    f"{kill.orphans}, still running: {alive}")

    def check_signup_phase(self, paid: int, converged: bool) -> None:
        report = self.report
        snap = snapshot(self.engine)
        welcome = resend_mails(self.stack.resend, "welcome-")
        recipients = {recipient(mail) for mail in welcome}
        report.figures.update(mails=len(welcome), welcome_logs=snap.welcome_sent)
        report.check(snap.live == paid, f"tenants live {snap.live} != signups paid {paid}")
        report.check(len(welcome) == snap.live,
                     f"welcome mails accepted by Resend {len(welcome)} != tenants {snap.live}")
        report.check(snap.welcome_sent == snap.live,
                     f"welcome mails sent in mail_log {snap.welcome_sent} != tenants {snap.live}")
        report.check(len(recipients) == snap.live and snap.welcome_recipients == snap.live,
                     f"distinct welcome recipients (Resend {len(recipients)}, mail_log "
                     f"{snap.welcome_recipients}) != tenants {snap.live}")
        report.check(snap.runs.get("succeeded", 0) == paid,
                     f"provisioning runs {dict(snap.runs)}: want {paid} succeeded")
        emails = {signup.email for signup in self.results.paid}
        report.check(recipients <= emails, f"welcome mails to addresses nobody signed up with: "
                                           f"{sorted(recipients - emails)[:3]}")
        self.check_events("after the signups")

    def check_events(self, when: str) -> None:
        """Every event the local Stripe emitted is stored and processed; none given up on."""
        events = httpx.get(f"{self.stack.stripe_url}/_test/events", timeout=120,
                           trust_env=False).json()["events"]
        with Session(self.engine) as session:
            stored = dict(session.execute(select(StripeEvent.id, StripeEvent.processed_at)).all())
        missing = [e["id"] for e in events if e["id"] not in stored]
        unprocessed = [event_id for event_id, processed in stored.items() if processed is None]
        outcomes = [{d["outcome"] for d in e["deliveries"]} for e in events]
        undelivered = [e["id"] for e, seen in zip(events, outcomes, strict=True)
                       if seen and seen <= {"failed"}]
        pending = sum("delivered" not in seen and "pending" in seen for seen in outcomes)
        duplicates = sum(sum(d["duplicate"] for d in e["deliveries"]) for e in events)
        self.report.figures.update(events=len(events), unprocessed_events=len(unprocessed),
                                   duplicate_deliveries=duplicates)
        self.report.check(not missing, f"{when}: {len(missing)} of {len(events)} Stripe events "
                                       f"not stored ({pending} still being delivered), "
                                       f"e.g. {missing[:3]}")
        self.report.check(not undelivered, f"{when}: {len(undelivered)} events never delivered "
                                           f"(gave up), e.g. {undelivered[:3]}")
        self.report.check(not unprocessed, f"{when}: {len(unprocessed)} stored events unprocessed, "
                                           f"e.g. {unprocessed[:3]}")

    def renewals(self) -> None:
        """A subset of customers fail their renewal and Stripe's retries: suspended. Then they pay
        their open invoices: reactivated."""
        config, stack, report = self.config, self.stack, self.report
        paid = sorted(self.results.paid, key=lambda s: s.index)
        failing = random.Random(config.seed).sample(paid, min(config.failing, len(paid)))
        customers = {signup.customer_id for signup in failing}
        self.say(f"renewals: {len(failing)} customers will fail their next payments")
        phase = time.monotonic()
        for signup in failing:
            stack.stripe_control("POST", f"customers/{signup.customer_id}/fail_next_payment")
        for days in CLOCK_STEPS_DAYS:
            stack.stripe_control("POST", "clock/advance", days=days, timeout=300)
            self.say(f"clock advanced {days} days")
            self.wait_for(f"events after +{days} days",
                          lambda: self.settled(snapshot(self.engine), mails=False))

        def suspended() -> str | None:
            snap = snapshot(self.engine)
            mails = resend_mails(stack.resend, "suspended-")
            if snap.billing_states.get("suspended", 0) != len(failing) or len(mails) != len(failing):
                return (f"billing states {dict(snap.billing_states)}, suspension mails "
                        f"{len(mails)}, want {len(failing)} suspended")
            return self.settled(snap)

        self.wait_for("suspensions", suspended)
        suspended_customers = self.customers_in("suspended")
        report.figures.update(suspended=len(suspended_customers),
                              suspension_mails=len(resend_mails(stack.resend, "suspended-")))
        report.check(suspended_customers == customers,
                     f"suspended {len(suspended_customers)} != failed {len(customers)} "
                     f"(wrongly suspended: {sorted(suspended_customers - customers)[:3]}, "
                     f"not suspended: {sorted(customers - suspended_customers)[:3]})")
        report.check(len(resend_mails(stack.resend, "suspended-")) == len(customers),
                     f"suspension mails {report.figures['suspension_mails']} != {len(customers)}")

        for signup in failing:
            stack.stripe_control("POST", f"customers/{signup.customer_id}/pay_open_invoices",
                                 card=GOOD_CARD)
        self.say(f"renewals: {len(failing)} customers paid their open invoices")

        def reactivated() -> str | None:
            snap = snapshot(self.engine)
            mails = resend_mails(stack.resend, "reactivated-")
            logs = snap.mails.get(("reactivated", "sent"), 0)
            back = len(self.customers_in("active") & customers)
            if back != len(failing) or len(mails) != len(failing) or logs != len(failing):
                return (f"{back} active again, billing states {dict(snap.billing_states)}, "
                        f"reactivation mails {len(mails)} (mail_log {logs}), want {len(failing)}")
            return self.settled(snap)

        self.wait_for("reactivations", reactivated)
        back = self.customers_in("active") & customers
        mails = resend_mails(stack.resend, "reactivated-")
        snap = snapshot(self.engine)
        report.figures.update(reactivated=len(back), reactivation_mails=len(mails),
                              renewal_seconds=round(time.monotonic() - phase, 1))
        report.check(back == customers, f"reactivated {len(back)} != paid again {len(customers)}")
        report.check(len(mails) == len(customers) == snap.mails.get(("reactivated", "sent"), 0),
                     f"reactivation mails: Resend {len(mails)}, mail_log "
                     f"{snap.mails.get(('reactivated', 'sent'), 0)}, want {len(customers)}")
        owners = {s.email for s in failing}
        report.check({recipient(m) for m in mails} == owners,
                     "reactivation mails did not go to exactly the owners who paid again")

    def customers_in(self, billing_state: str) -> set[str]:
        with Session(self.engine) as session:
            return set(session.scalars(select(Tenant.stripe_customer_id).where(
                Tenant.billing_state == billing_state)))

    def final_checks(self) -> None:
        report = self.report
        paid = len(self.results.paid)
        snap = snapshot(self.engine)
        welcome = resend_mails(self.stack.resend, "welcome-")
        report.figures.update(active=snap.active, mails=len(welcome), welcome_logs=snap.welcome_sent)
        report.check(snap.active == paid, f"tenants active at the end {snap.active} != paid {paid}")
        report.check(len(welcome) == paid == snap.welcome_sent
                     and len({recipient(mail) for mail in welcome}) == paid,
                     f"at the end: welcome mails accepted by Resend {len(welcome)}, sent in "
                     f"mail_log {snap.welcome_sent}, want {paid}")
        self.check_events("at the end")
        report.check(snap.failed_events == 0, f"{snap.failed_events} stored events given up on")
        duplicates, examples = duplicate_effects(self.engine, self.stack.resend, paid)
        total = sum(duplicates.values())
        report.figures["duplicate_effects"] = total
        report.figures["duplicates"] = {name: n for name, n in duplicates.items() if n}
        report.check(total == 0, f"duplicate side effects: {report.figures['duplicates']} "
                                 f"{examples}")


def sweep_env(seconds: int) -> dict[str, str]:
    """The stack's settings for sweeps every ``seconds`` s (0: none, the production defaults)."""
    if not seconds:
        return {}
    every = str(seconds)
    return {"SWEEP_EVERY_SECONDS": every, "EVENT_SETTLE_SECONDS": every,
            "PROVISIONING_STUCK_SECONDS": every, "EVENT_RETRY_SECONDS": every}


def run_chaos(config: ChaosConfig) -> Report:
    """Start a whole stack, run the chaos against it, stop everything; the report says how it went."""
    report = Report()
    started = time.monotonic()
    stack = Stack(web_workers=config.web_workers,
                  queue_workers={"billing": config.billing_workers,
                                 "provisioning": config.provisioning_workers,
                                 "mail": 1, "maintenance": 1},
                  stripe=True, cron=True, up_timeout=120,
                  # Every simulated customer signs up from this one machine's address.
                  env={"PYTHONUNBUFFERED": "1", "SIGNUP_LIMIT_PER_ADDRESS": "100000 per minute",
                       **sweep_env(config.sweep_seconds)})
    try:
        stack.__enter__()
        print(f"chaos: stack up in {time.monotonic() - started:.1f} s (app {stack.url}, "
              f"Stripe {stack.stripe_url}, Redis port {stack.redis.port})", flush=True)
        Run(stack, config, report, started).run()
    except Exception as exc:  # report it like any failed check, after stopping everything
        traceback.print_exc()
        report.failures.append(f"the run itself failed: {type(exc).__name__}: {exc}")
    finally:
        report.figures["total_seconds"] = round(time.monotonic() - started, 1)
        keep = report.failures or os.environ.get("CHAOS_KEEP_LOGS")
        if keep and getattr(stack, "root", None) and stack.root.exists():
            kept = tempfile.mkdtemp(prefix="contyzr-chaos-logs-")
            for log in stack.root.glob("process-*.log"):
                shutil.copy(log, kept)
            report.figures["logs"] = kept
        stack.__exit__(None, None, None)
    return report


def print_report(report: Report) -> None:
    figures = dict(report.figures)
    for name in ("duplicates",):
        figures.pop(name, None)
    print("figures: " + ", ".join(f"{key}={value}" for key, value in sorted(figures.items())))
    if report.figures.get("duplicates"):
        print(f"duplicates: {report.figures['duplicates']}")
    for finding in report.findings:
        print(f"finding: {finding}")
    for failure in report.failures:
        print(f"FAILED: {failure}")
    print(report.line, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = ChaosConfig()
    parser.add_argument("--signups", type=int, default=defaults.signups)
    parser.add_argument("--kills", type=int, default=defaults.kills,
                        help="provisioning workers to SIGKILL mid-provisioning")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--redis-outage", type=float, default=defaults.redis_outage,
                        help="seconds Redis is stopped (0: none)")
    parser.add_argument("--clients", type=int, default=defaults.clients,
                        help="concurrent signup clients")
    parser.add_argument("--failed-renewals", type=int, default=None,
                        help="customers whose renewal fails (default: a tenth of the signups)")
    parser.add_argument("--timeout", type=float, default=defaults.timeout,
                        help="longest wait for one phase to converge, seconds")
    parser.add_argument("--sweep-seconds", type=int, default=defaults.sweep_seconds,
                        help="run the repairing sweeps every N s (default 0: production schedule)")
    parser.add_argument("--kill-children", action="store_true",
                        help="SIGKILL the worker's forked children too (as systemd's "
                             "KillMode=control-group would); default: only the worker's pid")
    parser.add_argument("--no-restart", action="store_true",
                        help="leave processes that die on their own dead (no process manager)")
    args = parser.parse_args(argv)
    config = ChaosConfig(signups=args.signups, kills=args.kills, seed=args.seed,
                         redis_outage=args.redis_outage, clients=args.clients,
                         failed_renewals=args.failed_renewals, timeout=args.timeout,
                         kill_children=args.kill_children, restart=not args.no_restart,
                         sweep_seconds=args.sweep_seconds)
    report = run_chaos(config)
    print_report(report)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
