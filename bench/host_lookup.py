"""Benchmark: what finding the tenant of a custom domain adds to a public page, at 10,000
tenants holding 10,000 verified domains, against the same page by its platform subdomain.

One stack (gunicorn, 2 workers, no queue workers) with the tenants of ``bench.portal`` bulk-
inserted and three verified domains for each tenant whose plan serves own domains. The timed
GET / requests alternate one by one between ``Host: bench-0.<PLATFORM_DOMAIN>`` and ``Host:
www.bench-0.example``: the same tenant, the same page, the same server; only the Host lookup
differs.

    .venv/bin/python -m bench.host_lookup [--tenants 10000] [--requests 400] [--runs 7]
"""

from __future__ import annotations

import argparse
import time

from sqlalchemy import create_engine, insert, select, text

from bench.harness import Stack, median_of, percentile, record
from bench.portal import PASSWORD, seed
from bench.webhook_intake import Connection
from db.base import utcnow
from db.models import CustomDomain, Tenant
from db.models.domains import DomainStatus
from plans.catalog import default_catalog
from tenants.passwords import hash_password

PLATFORM_DOMAIN = "platform.bench"
DOMAINS_PER_TENANT = 3  # on the plans with own domains: about 10,000 in all at 10,000 tenants
SUBDOMAIN_HOST = f"bench-0.{PLATFORM_DOMAIN}"
CUSTOM_HOST = "www.bench-0.example"


def add_domains(database_url: str) -> int:
    """Three verified domains for every tenant whose plan has own domains; how many in all."""
    plans = [plan.id for plan in default_catalog().plans_with("custom_domain")]
    engine = create_engine(database_url)
    now = utcnow()
    with engine.begin() as connection:
        tenants = connection.execute(select(Tenant.id, Tenant.subdomain)
                                     .where(Tenant.plan_id.in_(plans))).all()
        rows = [dict(tenant_id=tenant_id, name=f"{prefix}{subdomain}.example",
                     status=DomainStatus.VERIFIED, is_primary=False, verified_at=now,
                     next_check_at=now, failed_checks=0)
                for tenant_id, subdomain in tenants
                for prefix in ("www.", "", "shop.")[:DOMAINS_PER_TENANT]]
        connection.execute(insert(CustomDomain), rows)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE custom_domains"))
    engine.dispose()
    return len(rows)


def timed_gets(port: int, count: int) -> dict[str, list[float]]:
    """``count`` GET / for each host, one by one in turns that alternate which goes first;
    latencies in ms per host."""
    clients = {host: (Connection(port), f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
               for host in (SUBDOMAIN_HOST, CUSTOM_HOST)}
    latencies: dict[str, list[float]] = {host: [] for host in clients}
    for n in range(count):
        for host in sorted(clients, reverse=n % 2 == 1):
            connection, request = clients[host]
            started = time.perf_counter()
            status = connection.exchange(request)
            latencies[host].append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise SystemExit(f"GET / on {host} answered {status}")
    for connection, _ in clients.values():
        connection.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=400, help="timed GETs per run and host")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {SUBDOMAIN_HOST: [], CUSTOM_HOST: []}
    with Stack(queue_workers={}, env={"PLATFORM_DOMAIN": PLATFORM_DOMAIN}) as stack:
        engine = create_engine(stack.env["DATABASE_URL"])
        seed(engine, args.tenants, hash_password(PASSWORD))
        engine.dispose()
        domains = add_domains(stack.env["DATABASE_URL"])
        print(f"{args.tenants} tenants, {domains} verified domains", flush=True)
        timed_gets(stack.port, 50)  # warm-up: both web workers, their pools and caches
        for n in range(args.runs):
            for host, latencies in timed_gets(stack.port, args.requests).items():
                runs[host].append({"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)})
            print(f"run {n + 1}: " + "; ".join(
                f"{host} p50 {runs[host][-1]['p50']:.2f} ms, p95 {runs[host][-1]['p95']:.2f} ms"
                for host in runs), flush=True)
    p50 = {host: median_of(runs[host], "p50") for host in runs}
    ratio = p50[CUSTOM_HOST] / p50[SUBDOMAIN_HOST]
    record({"site_p50_ms_subdomain": p50[SUBDOMAIN_HOST], "site_p50_ms_custom_domain": p50[CUSTOM_HOST]})
    print(f"public home page ({args.requests} GETs x {args.runs} runs per host, medians of p50): "
          f"subdomain {p50[SUBDOMAIN_HOST]:.2f} ms, custom domain {p50[CUSTOM_HOST]:.2f} ms; "
          f"ratio {ratio:.3f} (target <= 1.05)")


if __name__ == "__main__":
    main()
