"""Benchmark: a burst of signups through the local Stripe, ``--rate`` a second for ``--seconds``
(the issue: 50 a second for 60 seconds, every one provisioned, p95 from payment to live site
under 2 s), on the embedded stack with gunicorn (2 workers x 4 threads), 2 billing, 2
provisioning and 1 mail worker, and the local Stripe as a process delivering the webhooks.

Each signup, started on schedule by a thread pool (open loop: it does not wait for earlier
ones): ``GET /signup?plan=starter`` for the form token, ``POST /signup`` (the app creates the
customer and the Checkout Session on the local Stripe, 303 to it), then the session paid
through the local Stripe's ``/_test/checkout/sessions/<id>/pay``. The local Stripe delivers the
events (``invoice.paid`` ...) to ``/webhooks/stripe``, ``--delivery-threads`` at once (8: Stripe
sends concurrently; the local Stripe's default is one at a time); the billing
workers' dispatcher enqueues them, the billing workers record the payment, the provisioning
workers build the tenant. After the burst the run waits (at most ``--settle`` s) until every run
succeeded, then checks: every tenant active, its site ``GET /`` by
``<subdomain>.<PLATFORM_DOMAIN>`` answering 200 (all of them), no event with an error, no
provisioning run failed, one welcome mail per tenant; any miss ends it with exit status 1.

Payment -> live is from the answer of the pay call to the ``finished_at`` of the run's
``activate`` step (committed with the tenant's ``provisioning_state = 'active'``). The achieved
rate is payments answered per second, from the first answer to the last. The rq queues and the
local Stripe's pending deliveries are sampled every second; their maxima and the parts of
payment -> live (delivery, billing, the wait for a provisioning worker, provisioning) are
printed, to say where the time goes.

    .venv/bin/python -m bench.signup_burst [--rate 50] [--seconds 60] [--runs 1] [--warmup 5]
                                           [--settle 600] [--delivery-threads 8]
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
from redis import Redis
from sqlalchemy import Engine, and_, create_engine, func, select
from sqlalchemy.orm import aliased

from bench.chaos_actions import CSRF, DUTCH_CONSUMER, GOOD_CARD, SIGNUP_PATH
from bench.chaos_checks import recipient, resend_mails
from bench.harness import Stack, median_of, percentile, record
from bench.shop_race import TLS
from bench.webhook_intake import cpu_seconds
from db.models import MailLog, ProvisioningRun, Signup, StripeEvent, Tenant
from db.models.mail import MailStatus
from db.models.provisioning import ProvisioningStep, RunStatus
from db.models.tenants import ProvisioningState

PLATFORM_DOMAIN = "burst.bench"
WORKERS = {"billing": 2, "provisioning": 2, "mail": 1}
QUEUES = ("billing", "provisioning", "mail")


def signup_and_pay(stack: Stack, name: str) -> tuple[str, datetime]:
    """The form over HTTP, then its Checkout Session paid; (session id, when the payment was
    answered). Raises on any answer that is not the expected one."""
    form = {"company": f"Burst {name}", "subdomain": name, "email": f"{name}@burst.example",
            "password": "tangerine kettle drums 42", "template": "corporate", "terms": "y"}
    with httpx.Client(base_url=stack.url, timeout=300, verify=TLS, trust_env=False) as browser:
        page = browser.get(SIGNUP_PATH)
        token = CSRF.search(page.text)
        if page.status_code != 200 or token is None:
            raise RuntimeError(f"GET /signup answered {page.status_code}")
        sent = browser.post(SIGNUP_PATH, data={**form, "csrf_token": token.group(1)})
        if sent.status_code != 303:
            raise RuntimeError(f"POST /signup answered {sent.status_code}")
        session_id = sent.headers["Location"].split("?")[0].rstrip("/").rsplit("/", 1)[1]
        paid = browser.post(f"{stack.stripe_url}/_test/checkout/sessions/{session_id}/pay",
                            data={"card": GOOD_CARD, **DUTCH_CONSUMER})
        answered = datetime.now(UTC)
    if paid.status_code != 200 or paid.json()["session"]["payment_status"] != "paid":
        raise RuntimeError(f"paying {session_id} answered {paid.status_code}: {paid.text[:200]}")
    return session_id, answered


class Sampler(threading.Thread):
    """Every second: the length of each rq queue and the local Stripe's pending deliveries."""

    def __init__(self, stack: Stack):
        super().__init__(daemon=True)
        self.stack, self.redis = stack, Redis.from_url(stack.env["REDIS_URL"])
        self.stopping, self.latest = threading.Event(), {}
        self.maxima: dict[str, tuple[int, float]] = {}  # name -> (most, seconds after the start)

    def run(self) -> None:
        started = time.monotonic()
        with httpx.Client(timeout=5, trust_env=False) as client:
            while not self.stopping.wait(1):
                sample = {queue: self.redis.llen(f"rq:queue:{queue}") for queue in QUEUES}
                try:
                    flush = client.post(f"{self.stack.stripe_url}/_test/delivery/flush",
                                        data={"timeout": 0})
                    sample["stripe deliveries"] = flush.json()["pending"]
                except httpx.HTTPError:
                    pass
                self.latest, at = sample, time.monotonic() - started
                for name, length in sample.items():
                    if length > self.maxima.get(name, (-1, 0))[0]:
                        self.maxima[name] = (length, at)

    def line(self, values: dict) -> str:
        return ", ".join(f"{name} {value}" for name, value in values.items())


def burst(stack: Stack, count: int, rate: float, prefix: str) -> tuple[dict, list[str], float]:
    """``count`` signups started ``rate`` a second; ({session id: answered}, failures, the
    latest start behind schedule in seconds)."""
    paid, failures, lag, lock = {}, [], [0.0], threading.Lock()
    start = time.monotonic() + 0.5

    def one(n: int) -> None:
        behind = time.monotonic() - (start + n / rate)
        try:
            session_id, answered = signup_and_pay(stack, f"{prefix}-{n}")
        except (httpx.HTTPError, RuntimeError, KeyError) as exc:
            with lock:
                failures.append(f"signup {n}: {type(exc).__name__}: {exc}")
            return
        with lock:
            paid[session_id] = answered
            lag[0] = max(lag[0], behind)

    # Enough threads for every signup in flight even when each takes several seconds.
    with ThreadPoolExecutor(max_workers=min(count, max(16, int(rate * 8)))) as pool:
        for n in range(count):
            time.sleep(max(0.0, start + n / rate - time.monotonic()))
            pool.submit(one, n)
            if n and n % max(1, int(rate * 10)) == 0:
                print(f"  {n} signups submitted, {len(paid)} paid, {len(failures)} failed", flush=True)
    return paid, failures, lag[0]


def wait_until_provisioned(engine: Engine, sessions: list[str], sampler: Sampler, limit: float) -> None:
    """Until every signup's run succeeded or failed, at most ``limit`` s (then the checks find
    the ones missing)."""
    deadline, said = time.monotonic() + limit, 0.0
    query = (select(ProvisioningRun.status, func.count()).join(Signup, Signup.id == ProvisioningRun.signup_id)
             .where(Signup.checkout_session_id.in_(sessions)).group_by(ProvisioningRun.status))
    while True:
        with engine.connect() as connection:
            runs = Counter(dict(connection.execute(query).all()))
        if runs[RunStatus.SUCCEEDED] + runs[RunStatus.FAILED] == len(sessions):
            return
        if time.monotonic() > deadline:
            print(f"  given up after {limit:g} s: runs {dict(runs)}", flush=True)
            return
        if time.monotonic() - said > 10:
            said = time.monotonic()
            print(f"  waiting: runs {dict(runs)}; {sampler.line(sampler.latest)}", flush=True)
        time.sleep(0.5)


def timeline(engine: Engine, sessions: list[str]) -> list[tuple]:
    """Per paid signup: (session id, subdomain, tenant state, run status, invoice.paid received,
    processed, run started, activate finished)."""
    activate = aliased(ProvisioningStep)
    received = (select(StripeEvent.customer_id, func.min(StripeEvent.received_at).label("received"),
                       func.min(StripeEvent.processed_at).label("processed"))
                .where(StripeEvent.type == "invoice.paid").group_by(StripeEvent.customer_id).subquery())
    with engine.connect() as connection:
        return connection.execute(
            select(Signup.checkout_session_id, Tenant.subdomain, Tenant.provisioning_state,
                   ProvisioningRun.status, received.c.received, received.c.processed,
                   ProvisioningRun.started_at, activate.finished_at)
            .join(ProvisioningRun, ProvisioningRun.signup_id == Signup.id)
            .outerjoin(Tenant, Tenant.signup_id == Signup.id)
            .outerjoin(received, received.c.customer_id == Signup.stripe_customer_id)
            .outerjoin(activate, and_(activate.run_id == ProvisioningRun.id, activate.name == "activate"))
            .where(Signup.checkout_session_id.in_(sessions))).all()


def sites_answering(stack: Stack, subdomains: list[str]) -> list[str]:
    """``GET /`` of each site by its subdomain; the ones not answering 200."""
    def status(subdomain: str) -> tuple[str, int]:
        response = httpx.get(f"{stack.url}/", headers={"Host": f"{subdomain}.{PLATFORM_DOMAIN}:{stack.port}"},
                             timeout=60, verify=TLS, trust_env=False)
        return subdomain, response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        return [f"{name} {code}" for name, code in pool.map(status, subdomains) if code != 200]


def problems_of(stack: Stack, engine: Engine, rows: list[tuple], expected: int,
                failures: list[str]) -> list[str]:
    problems = list(failures[:5]) + ([f"... {len(failures)} signups failed"] if failures else [])
    if len(rows) != expected:
        problems.append(f"{len(rows)} provisioning runs for {expected} payments")
    not_live = [row for row in rows if row[2] != ProvisioningState.ACTIVE or row[3] != RunStatus.SUCCEEDED]
    if not_live:
        examples = [tuple(map(str, row[1:4])) for row in not_live[:3]]
        problems.append(f"{len(not_live)} not provisioned, e.g. {examples}")
    with engine.connect() as connection:
        errors = connection.execute(select(StripeEvent.id, StripeEvent.type, StripeEvent.last_error)
                                    .where(StripeEvent.last_error.is_not(None)).limit(5)).all()
        unprocessed = connection.scalar(select(func.count()).select_from(StripeEvent)
                                        .where(StripeEvent.processed_at.is_(None)))
        failed_runs = connection.scalar(select(func.count()).select_from(ProvisioningRun)
                                        .where(ProvisioningRun.status == RunStatus.FAILED))
        welcome = Counter(connection.scalars(select(MailLog.tenant_id).where(
            MailLog.kind == "welcome", MailLog.status == MailStatus.SENT)))
    if errors or unprocessed:
        problems.append(f"{unprocessed} events unprocessed; with an error: {[tuple(e) for e in errors]}")
    if failed_runs:
        problems.append(f"{failed_runs} provisioning runs failed")
    accepted = Counter(recipient(mail) for mail in resend_mails(stack.resend, "welcome-"))
    if any(n > 1 for n in welcome.values()) or any(n > 1 for n in accepted.values()):
        problems.append(f"welcome mail twice: {sum(n > 1 for n in welcome.values())} tenants in "
                        f"mail_log, {sum(n > 1 for n in accepted.values())} addresses at Resend")
    return problems


def cpu_by_part(stack: Stack) -> dict[str, float]:
    """CPU seconds used so far by each part of the stack (a process and its current children:
    PostgreSQL's backends, gunicorn's workers) and by this process (the load generator)."""
    parts = {"web": [stack.web.pid], "local Stripe": [stack.stripe.pid],
             "redis": [stack.redis.process.pid]}
    postmaster = stack.root / "postgres" / "postmaster.pid"
    if postmaster.exists():
        parts["postgres"] = [int(postmaster.read_text().split()[0])]
    for process in stack.processes:
        if "--queue" in process.args:
            parts.setdefault(f"{process.args[process.args.index('--queue') + 1]} workers", []).append(
                process.pid)
    cpu = {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in parts.items()}
    return {**cpu, "load generator": time.process_time()}


def delivery_line(stack: Stack, since: float) -> str:
    """The local Stripe's deliveries since ``since`` (unix time): how many, how fast its one
    thread sent them, the gap between attempts (the webhook's answer time while backed up)."""
    events = httpx.get(f"{stack.stripe_url}/_test/events", timeout=120, trust_env=False).json()["events"]
    attempts = sorted((attempt["at"], attempt["status"]) for event in events
                      for delivery in event["deliveries"] for attempt in delivery["attempts"]
                      if attempt["at"] >= since)
    if len(attempts) < 2:
        return "no deliveries"
    times = [at for at, _ in attempts]
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    failed = sum(not (status and 200 <= status < 300) for _, status in attempts)
    return (f"{len(attempts)} attempts in {times[-1] - times[0]:.1f} s "
            f"({(len(times) - 1) / (times[-1] - times[0]):.0f}/s), {failed} not 2xx; gap between "
            f"attempts p50 {percentile(gaps, 50) * 1000:.0f} ms, p95 {percentile(gaps, 95) * 1000:.0f} ms")


def events_by_type(engine: Engine) -> Counter:
    with engine.connect() as connection:
        return Counter(dict(connection.execute(
            select(StripeEvent.type, func.count()).group_by(StripeEvent.type)).all()))


def seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    return None if later is None or earlier is None else (later - earlier).total_seconds()


def spread(values: list[float | None]) -> str:
    known = [value for value in values if value is not None]
    return f"p50 {percentile(known, 50):.2f} s, p95 {percentile(known, 95):.2f} s" if known else "?"


def one_run(stack: Stack, engine: Engine, args, label: str, count: int) -> dict:
    sampler = Sampler(stack)
    sampler.start()
    prefix = f"b{uuid.uuid4().hex[:6]}"
    cpu, events, since = cpu_by_part(stack), events_by_type(engine), time.time()
    paid, failures, lag = burst(stack, count, args.rate, prefix)
    answers = sorted(paid.values())
    print(f"{label}: {len(paid)} of {count} paid, {len(failures)} failed; payments answered over "
          f"{seconds(answers[-1], answers[0]) if answers else 0:.1f} s; latest start "
          f"{lag:.2f} s behind schedule", flush=True)
    wait_until_provisioned(engine, list(paid), sampler, args.settle)
    sampler.stopping.set()
    sampler.join()
    cpu = {name: used - cpu[name] for name, used in cpu_by_part(stack).items()}
    events = events_by_type(engine) - events
    rows = timeline(engine, list(paid))
    subdomains = [row[1] for row in rows if row[1]]
    problems = problems_of(stack, engine, rows, len(paid), failures)
    sites = "not checked" if problems else f"{len(subdomains)} checked"
    if not problems:
        not_ok = sites_answering(stack, subdomains)
        sites += f", {len(not_ok)} not 200"
        problems += [f"{len(not_ok)} sites not 200, e.g. {not_ok[:5]}"] if not_ok else []
    print("  queue maxima: " + ", ".join(f"{name} {most} (at {at:.0f} s)"
                                          for name, (most, at) in sampler.maxima.items()), flush=True)
    print(f"  events stored: {sum(events.values())} ({sum(events.values()) / max(1, len(paid)):.1f} "
          f"a signup): " + ", ".join(f"{kind} {n}" for kind, n in events.most_common()), flush=True)
    print(f"  local Stripe deliveries: {delivery_line(stack, since)}", flush=True)
    print("  CPU seconds from the burst until all provisioned: " + ", ".join(
        f"{name} {used:.1f}" for name, used in sorted(cpu.items(), key=lambda item: -item[1])), flush=True)
    by_session = {row[0]: row for row in rows}
    parts = {"payment -> invoice.paid received (local Stripe delivery)":
             [seconds(by_session[s][4], answered) for s, answered in paid.items() if s in by_session],
             "received -> processed (dispatch, billing queue, handler)": [seconds(r[5], r[4]) for r in rows],
             "processed -> run started (provisioning queue)": [seconds(r[6], r[5]) for r in rows],
             "run started -> active": [seconds(r[7], r[6]) for r in rows]}
    for name, values in parts.items():
        print(f"  {name}: {spread(values)}", flush=True)
    live = {row[0]: row[7] for row in rows if row[7] is not None}
    latencies = [seconds(live[session_id], answered) for session_id, answered in paid.items()
                 if session_id in live]
    if not latencies:
        raise SystemExit(f"signup burst FAILED ({label}): {len(latencies)} live\n  " + "\n  ".join(problems))
    result = {
        "signup_burst_signups": len(paid),
        "signup_burst_rate_per_s": round((len(answers) - 1) / seconds(answers[-1], answers[0]), 2)
        if len(answers) > 1 else 0.0,
        "signup_burst_p50_s": round(percentile(latencies, 50), 3),
        "signup_burst_p95_s": round(percentile(latencies, 95), 3),
        "signup_burst_all_live_s": round(seconds(max(live.values()), answers[0]), 2),
        # Where the time went (BENCHMARKS.md's "Where the time goes"): CPU seconds per part
        # from the burst until all were live, and the billing queue's longest.
        "signup_burst_billing_queue_max": sampler.maxima.get("billing", (0, 0))[0],
        **{f"signup_burst_cpu_s_{name.replace(' ', '_')}": round(used, 1) for name, used in cpu.items()},
    }
    r = result
    print(f"  {len(live)} live; sites {sites}; "
          f"payment -> live p50 {r['signup_burst_p50_s']:.3f} s, p95 {r['signup_burst_p95_s']:.3f} s; "
          f"last live {r['signup_burst_all_live_s']:.1f} s after the first payment; achieved "
          f"{r['signup_burst_rate_per_s']:.1f}/s", flush=True)
    if problems:
        raise SystemExit(f"signup burst FAILED ({label}):\n  " + "\n  ".join(problems))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=50.0, help="signups (and payments) per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=5, help="signups first, one a second, not timed")
    parser.add_argument("--settle", type=float, default=600,
                        help="seconds after the burst for every signup to be provisioned, then it fails")
    parser.add_argument("--delivery-threads", type=int, default=8,
                        help="the local Stripe's deliveries in flight at once")
    args = parser.parse_args()
    load_before = round(os.getloadavg()[0], 1)
    print(f"load average {load_before} on {os.cpu_count()} cores; workers {WORKERS}", flush=True)
    env = {"PLATFORM_DOMAIN": PLATFORM_DOMAIN, "SIGNUP_LIMIT_PER_ADDRESS": "1000000 per minute"}
    with Stack(queue_workers=WORKERS, stripe=True, env=env, up_timeout=120) as stack:
        engine = create_engine(stack.env["DATABASE_URL"])
        stack.stripe_control("POST", "/delivery", threads=args.delivery_threads)
        if args.warmup:
            warm = argparse.Namespace(**{**vars(args), "rate": 1.0})
            one_run(stack, engine, warm, "warm-up", args.warmup)
        count = round(args.rate * args.seconds)
        runs = [one_run(stack, engine, args, f"run {n + 1}", count) for n in range(args.runs)]
        web_rss = stack.rss_mb(stack.web)
        worker_rss = max(stack.rss_mb(p) for p in stack.processes if "worker" in p.args)
        engine.dispose()
    load_after = round(os.getloadavg()[0], 1)
    figures = {key: median_of(runs, key) for key in runs[0]}
    record({**figures, "signup_burst_load": [load_before, load_after],
            "signup_burst_asked": [args.rate, args.seconds, args.runs],
            "signup_burst_delivery_threads": args.delivery_threads,
            "signup_burst_web_rss_mb": web_rss, "signup_burst_worker_rss_mb": worker_rss})
    print(f"signup burst ({args.rate:g}/s for {args.seconds:g} s x {args.runs} runs, medians; every "
          f"one provisioned): achieved {figures['signup_burst_rate_per_s']:.1f}/s; payment -> live "
          f"p50 {figures['signup_burst_p50_s']:.3f} s, p95 {figures['signup_burst_p95_s']:.3f} s "
          f"(target < 2 s); all live {figures['signup_burst_all_live_s']:.1f} s after the first "
          f"payment; load {load_before} -> {load_after}; RSS web {web_rss} MB, worker {worker_rss} MB")


if __name__ == "__main__":
    main()
