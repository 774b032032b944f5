"""Benchmark: the periodic jobs (``worker.schedule.PERIODIC``) with 100,000 tenants of which
about 100 are due for each, beside the same jobs with 1,000 tenants (also 100 due) in the same
run: two embedded stacks (PostgreSQL, Redis, gunicorn with 1 worker, no queue workers), the
job functions called in this process in an app context, as a worker would.

Seeded by SQL (tenants bulk-inserted, everything else by ``generate_series``), then analysed:
per tenant a subscription, a signup with its provisioning run, three processed Stripe events,
three sent mails, a site_health row (next check in the future), an hour of healthy checks
(12) and two days of uptime; a verified own domain for every third tenant. Due, about 100
each: Stripe events never processed (older than the settle time), provisioning runs standing
still, queued outbox mails, past-due tenants whose grace ended (suspended by the job), closed
tenants past retention (their data deleted), unpaid signups past their reservation, own
domains whose check is due (a local DNS server answering NXDOMAIN), sites whose health check
is due (probed through ``SITE_CHECK_CONNECT`` at the stack's gunicorn; their pages were
rendered once before the runs and are served from the page cache, as a site checked every 5
minutes mostly finds its page there (an entry lives 15 minutes)), checks and uptime days
old enough to clean up, and sites down (the alert rules open 100 incidents).

Before each run the due rows are made again (what a job changed is put back; Redis queues
emptied, incidents deleted); each job is timed once per run, sizes alternating; medians of
the runs. The 1-minute load average is printed at the start and the end.

    .venv/bin/python -m bench.sweeps [--tenants 1000 100000] [--due 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from bench.harness import Stack, record
from bench.portal import tenant_rows
from db.models import Tenant

TARGET_S = 1.0
CHUNK = 5000
# The jobs, in PERIODIC's order: (name, module, function).
JOBS = [("sweep_events", "worker.jobs.billing", "sweep_events"),
        ("sweep_stuck_runs", "worker.jobs.provisioning", "sweep_stuck_runs"),
        ("sweep_mail", "worker.jobs.mail", "sweep_mail"),
        ("expire_grace", "worker.jobs.lifecycle", "expire_grace"),
        ("enforce_retention", "worker.jobs.lifecycle", "enforce_retention"),
        ("expire_unpaid_signups", "worker.jobs.signups", "expire_unpaid_signups"),
        ("sweep_domains", "worker.jobs.domains", "sweep_domains"),
        ("check_sites", "worker.jobs.site_health", "check_sites"),
        ("clean_site_checks", "worker.jobs.site_health", "clean_site_checks"),
        ("evaluate_alerts", "worker.jobs.alerts", "evaluate_alerts")]

# Which tenants are due for what: the first ``due`` tenants whose id % 10 is the job's digit.
GRACE, RETENTION, SITES, DOWN = 1, 2, 3, 4

SEED = [
    # a signup and a finished provisioning run per tenant
    """INSERT INTO signups (id, company, subdomain, email, password_hash, plan_id, interval,
           template, status)
       SELECT md5('signup-' || t.id)::uuid::text, t.company, t.subdomain,
              'owner@' || t.subdomain || '.example.com', 'x', t.plan_id, t.interval, t.template,
              'ready'
       FROM tenants t""",
    "UPDATE tenants SET signup_id = md5('signup-' || id)::uuid::text",
    """INSERT INTO provisioning_runs (signup_id, tenant_id, status, attempts, created_at,
           heartbeat_at, finished_at)
       SELECT t.signup_id, t.id, 'succeeded', 1, now() - interval '30 days',
              now() - interval '30 days', now() - interval '30 days' FROM tenants t""",
    # processed Stripe events and sent mails, three per tenant
    """INSERT INTO stripe_events (id, type, created, payload, received_at, processed_at, attempts)
       SELECT 'evt_bench_' || t.id || '_' || n, 'invoice.paid', now(), '{}'::jsonb,
              now() - make_interval(days => n), now() - make_interval(days => n), 1
       FROM tenants t CROSS JOIN generate_series(1, 3) AS n""",
    """INSERT INTO mail_log (idempotency_key, kind, to_address, tenant_id, status, params,
           attempts, created_at)
       SELECT 'bench-sent-' || t.id || '-' || n, 'invoice_paid', 'owner@example.com', t.id,
              'sent', '{}'::jsonb, 1, now() - make_interval(days => n)
       FROM tenants t CROSS JOIN generate_series(1, 3) AS n""",
    # a verified own domain for every third tenant, checked again in a day
    """INSERT INTO custom_domains (tenant_id, name, status, is_primary, failed_checks,
           next_check_at)
       SELECT t.id, 'www.' || t.subdomain || '.example.nl', 'verified', true, 0,
              now() + interval '1 day'
       FROM tenants t WHERE t.id % 3 = 0""",
    # every site checked, healthy, next check in the future; an hour of checks, two days
    """INSERT INTO site_health (tenant_id, status, status_since, checked_at, next_check_at,
           response_ms, failures_in_a_row)
       SELECT t.id, 'healthy', now() - interval '1 day', now(), now() + interval '1 day', 80, 0
       FROM tenants t""",
    """INSERT INTO site_checks (tenant_id, checked_at, status, response_ms)
       SELECT t.id, now() - make_interval(mins => 5 * n), 'healthy', 80
       FROM tenants t CROSS JOIN generate_series(0, 11) AS n""",
    """INSERT INTO site_uptime_days (tenant_id, day, checks, up, response_ms)
       SELECT t.id, (now() AT TIME ZONE 'UTC')::date - d, array_fill(12::int2, ARRAY[24]),
              array_fill(12::int2, ARRAY[24]), array_fill(960, ARRAY[24])
       FROM tenants t CROSS JOIN generate_series(0, 1) AS d""",
    # the sites that will be down had a down check an hour ago (the uptime rule's candidates)
    """UPDATE site_uptime_days SET up[1 + extract(hour FROM now() AT TIME ZONE 'UTC')::int] = 11
        WHERE tenant_id % 10 = 4 AND tenant_id <= 1000 AND day = (now() AT TIME ZONE 'UTC')::date""",
]


def due_ids(digit: int, due: int) -> str:
    """The SQL condition on ``id`` of the tenants due for a job."""
    return f"id % 10 = {digit} AND id <= {due * 10}"


def remake(engine, due: int, run: int) -> None:
    """Make about ``due`` rows due for every job again (``run``: a fresh occurrence)."""
    statements = [
        # events never processed, older than the settle time
        "DELETE FROM stripe_events WHERE id LIKE 'evt_bench_due_%'",
        f"""INSERT INTO stripe_events (id, type, created, payload, received_at, attempts)
            SELECT 'evt_bench_due_' || n, 'invoice.paid', now(), '{{}}'::jsonb,
                   now() - interval '10 minutes', 0 FROM generate_series(1, {due}) AS n""",
        # provisioning runs standing still
        """UPDATE provisioning_runs SET status = 'succeeded', heartbeat_at = created_at
            WHERE status = 'running'""",
        f"""UPDATE provisioning_runs SET status = 'running', heartbeat_at = now() - interval '1 hour'
            WHERE tenant_id IN (SELECT id FROM tenants WHERE id % 10 = 5 AND id <= {due * 10})""",
        # queued outbox mails
        "DELETE FROM mail_log WHERE idempotency_key LIKE 'bench-queued-%'",
        f"""INSERT INTO mail_log (idempotency_key, kind, to_address, status, params, attempts,
                created_at)
            SELECT 'bench-queued-{run}-' || n, 'invoice_paid', 'owner@example.com', 'pending',
                   '{{}}'::jsonb, 0, now() - interval '5 minutes'
            FROM generate_series(1, {due}) AS n""",
        # past due, grace ended (a new occurrence each run: a new suspension mail)
        f"""UPDATE tenants SET billing_state = 'past_due', suspended_at = NULL,
                suspension_reason = NULL, past_due_since = now() - interval '20 days',
                grace_until = now() - interval '1 hour' WHERE {due_ids(GRACE, due)}""",
        # closed, retention over
        f"""UPDATE tenants SET billing_state = 'closed', data_deleted_at = NULL,
                closed_at = now() - interval '400 days' WHERE {due_ids(RETENTION, due)}""",
        # unpaid signups past their reservation
        "DELETE FROM signups WHERE id LIKE 'bench-pending-%'",
        f"""INSERT INTO signups (id, company, subdomain, email, password_hash, plan_id,
                interval, template, status, expires_at)
            SELECT 'bench-pending-{run}-' || n, 'Pending ' || n, 'pending-{run}-' || n,
                   'pending' || n || '@example.com', 'x', 'starter', 'month', 'corporate',
                   'pending', now() - interval '1 hour' FROM generate_series(1, {due}) AS n""",
        # own domains whose check is due
        f"""UPDATE custom_domains SET status = 'verified', failed_checks = 0,
                next_check_at = CASE WHEN tenant_id <= {due * 3} THEN now() - interval '1 minute'
                                     ELSE now() + interval '1 day' END
            WHERE tenant_id <= {due * 3} OR next_check_at < now() + interval '1 hour'""",
        # sites whose health check is due; sites down
        f"""UPDATE site_health SET next_check_at = CASE WHEN {due_ids(SITES, due).replace('id', 'tenant_id')}
                THEN now() - interval '1 second' ELSE now() + interval '1 day' END,
                status = CASE WHEN {due_ids(DOWN, due).replace('id', 'tenant_id')} THEN 'critical'
                              ELSE 'healthy' END,
                failures_in_a_row = CASE WHEN {due_ids(DOWN, due).replace('id', 'tenant_id')}
                                         THEN 3 ELSE 0 END
            WHERE next_check_at < now() + interval '1 hour' OR status <> 'healthy'
               OR {due_ids(SITES, due).replace('id', 'tenant_id')}
               OR {due_ids(DOWN, due).replace('id', 'tenant_id')}""",
        "DELETE FROM incidents",
        # checks and uptime days old enough to clean up
        f"""INSERT INTO site_checks (tenant_id, checked_at, status, response_ms)
            SELECT id, now() - interval '7 hours', 'healthy', 80 FROM tenants
            WHERE id <= {due} ON CONFLICT DO NOTHING""",
        f"""INSERT INTO site_uptime_days (tenant_id, day, checks, up, response_ms)
            SELECT id, (now() AT TIME ZONE 'UTC')::date - 100, array_fill(12::int2, ARRAY[24]),
                   array_fill(12::int2, ARRAY[24]), array_fill(960, ARRAY[24])
            FROM tenants WHERE id <= {due} ON CONFLICT DO NOTHING""",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def seed(engine, tenants: int) -> None:
    for start in range(0, tenants, CHUNK):
        with engine.begin() as connection:
            connection.execute(insert(Tenant), tenant_rows(start, min(CHUNK, tenants - start)))
    with engine.begin() as connection:
        for statement in SEED:
            connection.execute(text(statement))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def time_jobs(app) -> dict[str, float]:
    """Each job once, in PERIODIC's order; seconds each."""
    from importlib import import_module

    timings = {}
    with app.app_context():
        for name, module, function in JOBS:
            job = getattr(import_module(module), function)
            started = time.perf_counter()
            job()
            timings[name] = time.perf_counter() - started
    return timings


def selections() -> list[tuple[str, tuple, object]]:
    """Every sweep's selection of due work, as tests/db/test_sweep_plans.py EXPLAINs them."""
    from importlib.util import module_from_spec, spec_from_file_location

    path = Path(__file__).resolve().parent.parent / "tests" / "db" / "test_sweep_plans.py"
    spec = spec_from_file_location("sweep_plans", path)
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.sweeps()


def time_selections(engine, statements) -> dict[str, float]:
    """Each selection alone (median of 3, in a transaction rolled back); seconds each."""
    timings = {}
    with engine.connect() as connection:
        for name, _tables, statement in statements:
            samples = []
            for _ in range(3):
                with connection.begin() as transaction:
                    started = time.perf_counter()
                    connection.execute(statement).close()
                    samples.append(time.perf_counter() - started)
                    transaction.rollback()
            timings[name] = statistics.median(samples)
    return timings


def empty_queues(stack: Stack) -> None:
    """The rq queues and their jobs (the sites' page cache stays)."""
    from redis import Redis

    redis = Redis.from_url(stack.env["REDIS_URL"])
    for key in redis.scan_iter("rq:*", count=1000):
        redis.delete(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from dns_server import TestDnsServer  # NXDOMAIN for every name

    load_before = round(os.getloadavg()[0], 1)
    print(f"load average {load_before} on {os.cpu_count()} cores", flush=True)
    with ExitStack() as stacks:
        dns = TestDnsServer().start()
        stacks.callback(dns.stop)
        sites = {}
        for size in args.tenants:
            stack = stacks.enter_context(Stack(web_workers=1, queue_workers={}))
            engine = create_engine(stack.env["DATABASE_URL"])
            started = time.perf_counter()
            seed(engine, size)
            print(f"{size} tenants seeded in {time.perf_counter() - started:.0f} s", flush=True)
            os.environ.update(stack.env)
            from web import create_app

            app = create_app({"DATABASE_URL": stack.env["DATABASE_URL"],
                              "REDIS_URL": stack.env["REDIS_URL"],
                              "SITE_CHECK_CONNECT": f"127.0.0.1:{stack.port}",
                              "DNS_RESOLVERS": [dns.address], "RETENTION_DAYS": 90})
            sites[size] = (stack, engine, app)
        from worker.jobs.site_health import check_sites
        for _stack, engine, app in sites.values():  # the due sites' pages into the page cache
            remake(engine, args.due, 0)
            with app.app_context():
                check_sites()
        runs: dict[int, list[dict[str, float]]] = {size: [] for size in sites}
        selected: dict[int, list[dict[str, float]]] = {size: [] for size in sites}
        for run in range(args.runs):
            for size in sorted(sites, reverse=run % 2 == 1):
                stack, engine, app = sites[size]
                remake(engine, args.due, run)
                empty_queues(stack)
                selected[size].append(time_selections(engine, selections()))
                runs[size].append(time_jobs(app))
            print(f"run {run + 1}: " + "; ".join(
                f"{name} " + " / ".join(f"{runs[size][-1][name] * 1000:.0f}" for size in sites)
                for name, _, _ in JOBS) + " ms (" + " / ".join(map(str, sites)) + " tenants)",
                flush=True)
        for _stack, engine, _app in sites.values():
            engine.dispose()
    load_after = round(os.getloadavg()[0], 1)
    medians = {size: {name: statistics.median(run[name] for run in runs[size])
                      for name, _, _ in JOBS} for size in runs}
    small, large = min(medians), max(medians)
    print(f"\nmedian of {args.runs} runs, {args.due} due ({large} vs {small} tenants); "
          f"load average {load_before} -> {load_after}")
    print(f"{'job':24} {large:>10} {small:>10}  ratio  < {TARGET_S:.0f} s")
    for name, _, _ in JOBS:
        big, base = medians[large][name], medians[small][name]
        print(f"{name:24} {big * 1000:8.0f} ms {base * 1000:8.0f} ms  {big / base:5.2f}  "
              f"{'met' if big < TARGET_S else 'NOT MET'}")
    print(f"\nthe selections alone (median), {large} vs {small} tenants:")
    for name in selected[large][0]:
        big, base = (statistics.median(run[name] for run in selected[size]) for size in (large, small))
        print(f"  {name:40} {big * 1000:7.2f} ms {base * 1000:7.2f} ms")
    figures = {f"sweep_{name}_s": round(medians[large][name], 4) for name, _, _ in JOBS}
    figures.update({f"sweep_{name}_baseline_s": round(medians[small][name], 4)
                    for name, _, _ in JOBS})
    figures.update(sweeps_tenants=large, sweeps_baseline_tenants=small, sweeps_due=args.due,
                   sweeps_runs=args.runs, sweeps_load=[load_before, load_after])
    record(figures)


if __name__ == "__main__":
    main()
