"""Benchmark: the cost of one entitlement check, in microseconds.

``may_use`` answers from the plan catalog in memory; ``usage`` counts one limit's rows in the
embedded PostgreSQL, in a transaction confined to the tenant (role and RLS, as in the portal).
Each figure is the median over several batches of the mean time per call in a batch.

    .venv/bin/python -m bench.entitlements [--calls 100000] [--queries 1000] [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bench.harness import Stack, record
from bench.portal import PASSWORD, seed
from db.models import Tenant
from plans.catalog import default_catalog
from plans.entitlements import may_use, usage
from tenants.passwords import hash_password
from tenants.scope import use_tenant


def per_call_us(call, count: int, runs: int) -> float:
    """Median over ``runs`` batches of the mean microseconds per call."""
    call()  # warm: statement caches, prepared statements
    batches = []
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(count):
            call()
        batches.append((time.perf_counter() - started) / count * 1e6)
    return round(statistics.median(batches), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=100_000, help="may_use calls per batch")
    parser.add_argument("--queries", type=int, default=1_000, help="usage calls per batch")
    parser.add_argument("--runs", type=int, default=7, help="batches")
    args = parser.parse_args()
    catalog = default_catalog()
    with Stack(web_workers=1, queue_workers={}) as stack:
        engine = create_engine(stack.env["DATABASE_URL"])
        seed(engine, 10, hash_password(PASSWORD))
        with Session(engine, expire_on_commit=False) as session:
            tenant = session.scalar(select(Tenant).where(Tenant.subdomain == "bench-0"))
            feature_us = per_call_us(lambda: may_use(catalog, tenant, "webshop"), args.calls, args.runs)
            session.commit()
            use_tenant(session, tenant.id)  # the next transaction runs as the tenant, as the portal
            usage_us = {name: per_call_us(lambda name=name: usage(session, catalog, tenant, name),
                                          args.queries, args.runs) for name in catalog.limits}
            session.rollback()
        engine.dispose()
    record({"entitlement_check_us": feature_us, "usage_check_us": usage_us["pages"]})
    print(f"entitlement check ({args.runs} batches, medians): may_use {feature_us:.2f} µs; usage of one "
          "limit against the database: " + ", ".join(f"{name} {us:.0f} µs" for name, us in usage_us.items())
          + " (recorded: pages)")


if __name__ == "__main__":
    main()
