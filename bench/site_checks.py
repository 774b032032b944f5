"""Benchmark: one full round of health checks over 10,000 live tenant sites, served by the real
app (gunicorn, 2 workers x 4 threads, no queue workers) on loopback, against the five-minute
interval; then the storage a month of checks takes.

The tenants are bench.portal's (bulk-inserted: tenant, subscription, owner, the template's
pages and products). Every site is made due at once (the worst case: in production each
tenant has its own slot in the interval), then the job's own batch step
(``worker.jobs.site_health.check_batch``: claim with SKIP LOCKED, probe with httpx, record)
runs in this process until nothing is due, through ``SITE_CHECK_CONNECT`` (the app's port; the
Host header names each tenant's site). Timed: the round; checks per second; p50/p95 of the
recorded response times (which include the wait for one of gunicorn's 8 threads, as the
checker sends 50 at a time); medians of the runs.

Storage: ``site_uptime_days`` filled with 30 days x the tenants (every slot full: 12 checks
an hour) and ``site_checks`` with what its clean-up keeps of checks every 5 minutes (6 hours
of healthy ones, 48 hours of the others, about 1 in 1,000), by SQL; their size on
disk (``pg_total_relation_size``, indexes included), and the time of the uptime queries the
portal and the alert rules make at that size.

    .venv/bin/python -m bench.site_checks [--tenants 10000] [--runs 3] [--no-storage]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from sqlalchemy import create_engine, text

from bench.harness import Stack, median_of, percentile, record
from bench.portal import seed
from db.base import utcnow
from tenants.passwords import hash_password
from worker.services import services

INTERVAL = 300
TEMPLATE_PASSWORD = "benchmark password 1"


def make_due(engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM site_checks"))
        connection.execute(text("DELETE FROM site_uptime_days"))
        connection.execute(text("UPDATE site_health SET next_check_at = now() - interval '1 s'"))


def unchecked(engine, since) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT count(*) FROM site_health WHERE checked_at IS NULL "
                                      "OR checked_at < :since"), {"since": since})


def one_round(app, engine, tenants: int) -> dict:
    from monitoring import check_rounds, site_checks
    from worker.jobs.site_health import check_batch

    with app.app_context():
        with services().database.sessionmaker() as session:
            while check_rounds.ensure_rows(session, INTERVAL):
                session.commit()
            session.commit()
        make_due(engine)
        settings = site_checks.ProbeSettings.from_config(app.config)
        size = app.config["SITE_CHECK_BATCH_SIZE"]
        started, began, checked = time.perf_counter(), utcnow(), 0
        # Until every site was checked once (a site whose slot comes during the round is due
        # again, as it would be in production: those checks count too).
        while unchecked(engine, began) and (claimed := check_batch(settings, INTERVAL, size)):
            checked += claimed
        seconds = time.perf_counter() - started
    with engine.connect() as connection:
        statuses = dict(connection.execute(text(
            "SELECT status, count(*) FROM site_checks GROUP BY status")).all())
        times = [row[0] for row in connection.execute(text(
            "SELECT response_ms FROM site_checks WHERE response_ms IS NOT NULL"))]
        reasons = dict(connection.execute(text(
            "SELECT coalesce(regexp_replace(reason, '[0-9]+', 'N', 'g'), '-'), count(*) "
            "FROM site_checks "
            "GROUP BY 1 ORDER BY 2 DESC LIMIT 5")).all())
    if unchecked(engine, began):
        raise SystemExit(f"round incomplete: {checked} checks, {statuses}")
    return {"reasons": reasons, "round_s": round(seconds, 2), "checks_per_s": round(checked / seconds, 1),
            "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95),
            "checked": checked, "statuses": statuses}


def fill_storage(engine, tenants: int) -> dict:
    """A month of uptime days and two days of checks for every live tenant, by SQL."""
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM site_checks"))
        connection.execute(text("DELETE FROM site_uptime_days"))
        connection.execute(text("""
            INSERT INTO site_uptime_days (tenant_id, day, checks, up, response_ms)
            SELECT h.tenant_id, (now() AT TIME ZONE 'UTC')::date - d,
                   array_fill(12::int2, ARRAY[24]),
                   array_fill(CASE WHEN (h.tenant_id + d) % 97 = 0 THEN 11 ELSE 12 END::int2,
                              ARRAY[24]),
                   array_fill((12 * (80 + h.tenant_id % 200))::int4, ARRAY[24])
            FROM site_health h CROSS JOIN generate_series(0, 29) AS d"""))
        started = time.perf_counter()
        connection.execute(text("""
            INSERT INTO site_checks (tenant_id, checked_at, status, response_ms, reason)
            SELECT h.tenant_id, date_trunc('minute', now()) - make_interval(mins => 5 * n)
                       + make_interval(secs => h.tenant_id % 300),
                   CASE WHEN (h.tenant_id + n) % 997 = 0 THEN 'critical' ELSE 'healthy' END,
                   CASE WHEN (h.tenant_id + n) % 997 = 0 THEN NULL ELSE 80 + (h.tenant_id + n) % 200 END,
                   CASE WHEN (h.tenant_id + n) % 997 = 0 THEN 'HTTP 500' END
            FROM site_health h CROSS JOIN generate_series(0, 575) AS n
            WHERE n < 72 OR (h.tenant_id + n) % 997 = 0"""))
        fill_s = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE site_uptime_days, site_checks, site_health"))
        sizes = {table: connection.scalar(text(f"SELECT pg_total_relation_size('{table}')"))
                 for table in ("site_uptime_days", "site_checks", "site_health")}
        rows = {table: connection.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in ("site_uptime_days", "site_checks")}
    return {"sizes": sizes, "rows": rows, "checks_fill_s": round(fill_s, 1)}


def uptime_queries(app, tenant_id: int) -> dict:
    from monitoring import uptime

    timings = {}
    with app.app_context(), services().database.sessionmaker() as session:
        for name, call in {
                "one_tenant_30d_ms": lambda: uptime.uptime_percent(session, tenant_id, 720),
                "low_uptime_7d_ms": lambda: uptime.low_uptime_tenants(session, 99.9, 168),
                "low_uptime_30d_ms": lambda: uptime.low_uptime_tenants(session, 99.9, 720)}.items():
            samples = []
            for _ in range(5):
                started = time.perf_counter()
                call()
                samples.append((time.perf_counter() - started) * 1000)
            timings[name] = round(statistics.median(samples), 1)
        started = time.perf_counter()
        uptime.clean_up(session)
        session.commit()
        timings["clean_up_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-storage", action="store_true")
    args = parser.parse_args()
    with Stack(web_workers=2, queue_workers={}) as stack:
        engine = create_engine(stack.env["DATABASE_URL"])
        started = time.perf_counter()
        seed(engine, args.tenants, hash_password(TEMPLATE_PASSWORD))
        print(f"seeded {args.tenants} tenants in {time.perf_counter() - started:.0f} s", flush=True)
        os.environ.update(stack.env)
        from web import create_app

        app = create_app({"SITE_CHECK_CONNECT": f"127.0.0.1:{stack.port}"})
        runs = []
        for n in range(args.runs):
            runs.append(one_round(app, engine, args.tenants))
            run = runs[-1]
            print(f"run {n + 1}: {run['checked']} sites in {run['round_s']} s "
                  f"({run['round_s'] / INTERVAL:.0%} of the {INTERVAL} s interval), "
                  f"{run['checks_per_s']} checks/s, response p50 {run['p50_ms']} ms, "
                  f"p95 {run['p95_ms']} ms; {run['statuses']}, reasons {run['reasons']}",
                  flush=True)
        figures = {"site_checks_round_s": median_of(runs, "round_s"),
                   "site_checks_per_s": median_of(runs, "checks_per_s"),
                   "site_checks_p50_ms": median_of(runs, "p50_ms"),
                   "site_checks_p95_ms": median_of(runs, "p95_ms"),
                   "site_checks_tenants": args.tenants, "site_checks_runs": len(runs)}
        print(f"median of {len(runs)}: round {figures['site_checks_round_s']} s against "
              f"{INTERVAL} s; {figures['site_checks_per_s']} checks/s; p50 "
              f"{figures['site_checks_p50_ms']} ms, p95 {figures['site_checks_p95_ms']} ms")
        if not args.no_storage:
            stored = fill_storage(engine, args.tenants)
            mb = {table: round(size / 2**20, 1) for table, size in stored["sizes"].items()}
            print(f"storage: site_uptime_days {stored['rows']['site_uptime_days']} rows (30 days) "
                  f"{mb['site_uptime_days']} MB; site_checks {stored['rows']['site_checks']} "
                  f"rows (kept) {mb['site_checks']} MB; site_health {mb['site_health']} MB")
            timings = uptime_queries(app, 1)
            print("queries at that size: " + ", ".join(f"{k} {v}" for k, v in timings.items()))
            figures.update({"site_uptime_month_mb": mb["site_uptime_days"],
                            "site_checks_kept_mb": mb["site_checks"],
                            "site_health_mb": mb["site_health"],
                            "site_low_uptime_30d_ms": timings["low_uptime_30d_ms"],
                            "site_uptime_one_30d_ms": timings["one_tenant_30d_ms"]})
        services(app).database.engine.dispose()
        engine.dispose()
    record(figures)


if __name__ == "__main__":
    main()
