"""Benchmark: the portal dashboard (GET /portal/) for one signed-in owner, with 10 and with
10,000 tenants in the database, on the embedded stack with gunicorn (no queue workers).

Two identical stacks run side by side: one stays at 10 tenants, the other grows to 10,000
after its owner signed in, and the timed requests alternate between them one by one, so that
the changing load of a shared machine falls on both sizes alike. Tenants are bulk-inserted
(tenant, subscription, owner, the template's pages, products for webshop plans, two media
files), not provisioned; every owner shares one precomputed argon2 hash; the tables are
analysed after the load, as autovacuum would. Afterwards every SQL statement of one dashboard
request is run again under EXPLAIN ANALYZE on the 10,000-tenant database (``--explain``:
whole plans).

    .venv/bin/python -m bench.portal [--tenants 10 10000] [--requests 300] [--runs 7] [--explain]
"""

from __future__ import annotations

import argparse
import os
import re
import time
from datetime import timedelta

import httpx
from sqlalchemy import Engine, create_engine, event, func, insert, select, text

from bench.harness import Stack, median_of, percentile, record
from bench.webhook_intake import Connection
from db.base import utcnow
from db.models import MediaFile, Page, Product, Subscription, Tenant, User
from db.models.tenants import BillingState, ProvisioningState, Role
from tenants.passwords import hash_password
from tenants.site_content import load_site_template
from worker.services import services

PASSWORD = "benchmark password 1"
OWNER = "owner@bench-0.example.com"  # tenant 0: a webshop plan
CHUNK = 500  # tenants per transaction while seeding


def tenant_rows(start: int, count: int) -> list[dict]:
    rows = []
    for n in range(start, start + count):
        shop = n % 3 == 0
        rows.append(dict(
            company=f"Bench {n} GmbH", subdomain=f"bench-{n}", plan_id="professional" if shop else "starter",
            interval="month", template="ecommerce" if shop else "corporate",
            provisioning_state=ProvisioningState.ACTIVE,
            billing_state=BillingState.ACTIVE, stripe_customer_id=f"cus_bench{n}",
            stripe_subscription_id=f"sub_bench{n}", site_settings={"site_name": f"Bench {n} GmbH"}))
    return rows


def content_rows(tenants: list[tuple[int, dict]], password_hash: str) -> dict:
    templates = {name: load_site_template(name) for name in ("corporate", "ecommerce")}
    rows: dict = {Subscription: [], User: [], Page: [], Product: [], MediaFile: []}
    renews = utcnow() + timedelta(days=30)
    for tenant_id, tenant in tenants:
        company, content = tenant["company"], templates[tenant["template"]]
        rows[Subscription].append(dict(
            id=tenant["stripe_subscription_id"], customer_id=tenant["stripe_customer_id"],
            status="active", plan_id=tenant["plan_id"], interval="month", current_period_end=renews))
        rows[User].append(dict(tenant_id=tenant_id, email=f"owner@{tenant['subdomain']}.example.com",
                               password_hash=password_hash, role=Role.OWNER))
        rows[Page] += [dict(tenant_id=tenant_id, **page.as_row(company)) for page in content.pages]
        rows[Product] += [dict(tenant_id=tenant_id, **product.as_row(company))
                          for product in content.products]
        rows[MediaFile] += [dict(tenant_id=tenant_id, filename=f"photo-{k}.jpg", content_type="image/jpeg",
                                 storage_name=f"t{tenant_id}-m{k}", size_bytes=350_000 * (k + 1))
                            for k in range(2)]
    return rows


def seed(engine: Engine, total: int, password_hash: str) -> None:
    """Add tenants until there are ``total``."""
    with engine.connect() as connection:
        start = connection.scalar(select(func.count()).select_from(Tenant))
    for chunk in range(start, total, CHUNK):
        with engine.begin() as connection:
            rows = tenant_rows(chunk, min(CHUNK, total - chunk))
            ids = connection.scalars(insert(Tenant).returning(Tenant.id, sort_by_parameter_order=True),
                                     rows).all()
            for model, batch in content_rows(list(zip(ids, rows, strict=True)), password_hash).items():
                if batch:
                    connection.execute(insert(model), batch)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def sign_in(stack: Stack, email: str) -> str:
    """POST /login with the form's CSRF token; the session cookie, as a Cookie header value."""
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
        if response.status_code != 302 or not response.headers["location"].endswith("/portal/"):
            raise SystemExit(f"sign-in failed: {response.status_code}")
        dashboard = client.get("/portal/")
        if dashboard.status_code != 200 or "Usage" not in dashboard.text:
            raise SystemExit(f"the dashboard did not render: {dashboard.status_code}")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def timed_gets(sites: dict[int, tuple[Stack, str]], count: int) -> dict[int, list[float]]:
    """``count`` sequential GET /portal/ on each site, interleaved one by one (in turns that
    alternate which goes first); the latencies in ms per site."""
    clients = {size: (Connection(stack.port), f"GET /portal/ HTTP/1.1\r\nHost: 127.0.0.1:{stack.port}\r\n"
                      f"Cookie: {cookie}\r\n\r\n".encode()) for size, (stack, cookie) in sites.items()}
    latencies: dict[int, list[float]] = {size: [] for size in sites}
    for n in range(count):
        for size in sorted(clients, reverse=n % 2 == 1):
            connection, request = clients[size]
            started = time.perf_counter()
            status = connection.exchange(request)
            latencies[size].append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise SystemExit(f"GET /portal/ answered {status}")
    for connection, _ in clients.values():
        connection.close()
    return latencies


def dashboard_statements(stack: Stack, user_id: int) -> list[tuple[str, dict]]:
    """Every SQL statement one dashboard request runs, with its parameters (in-process app)."""
    os.environ.update(stack.env)
    from web import create_app

    app = create_app()
    engine = services(app).database.engine
    captured: list[tuple[str, dict]] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _conn, _cursor, statement, parameters, *_: captured.append((statement, parameters)))
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = f"{user_id}:1", True
    client.get("/portal/")  # once so that the app is warm, then the one we keep
    captured.clear()
    if client.get("/portal/").status_code != 200:
        raise SystemExit("the in-process dashboard did not render")
    engine.dispose()
    return captured


def explain(stack: Stack, engine: Engine, user_id: int, verbose: bool) -> None:
    """EXPLAIN ANALYZE each SELECT of a dashboard request, in order, as the app's role."""
    print("dashboard queries at the largest size (EXPLAIN ANALYZE):")
    with engine.connect() as connection:
        for statement, parameters in dashboard_statements(stack, user_id):
            one_line = " ".join(statement.split())
            if not one_line.startswith("SELECT") or "set_config" in one_line:
                connection.exec_driver_sql(statement, parameters)  # SET LOCAL ROLE, app.tenant_id
                continue
            plan = [row[0] for row in connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)]
            took = next(line for line in plan if line.startswith("Execution Time"))
            scans = sorted({line.strip(" ->").split("  (")[0] for line in plan if "Scan" in line})
            print(f"  {took.split(': ')[1]:>10}  {'; '.join(scans)}\n      {one_line[:150]}")
            if verbose:
                print("\n".join("      " + line for line in plan))
        connection.rollback()


def prepare(stack: Stack, few: int, size: int, password_hash: str) -> str:
    """Seed ``few`` tenants, sign the first owner in, add tenants up to ``size``; the cookie."""
    engine = create_engine(stack.env["DATABASE_URL"])
    seed(engine, few, password_hash)
    cookie = sign_in(stack, OWNER)
    started = time.monotonic()
    seed(engine, size, password_hash)
    engine.dispose()
    print(f"{size} tenants in the database (seeding took {time.monotonic() - started:.1f} s)", flush=True)
    return cookie


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, nargs=2, default=[10, 10_000], metavar=("FEW", "MANY"))
    parser.add_argument("--requests", type=int, default=300, help="timed GETs per run and size")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print the whole query plans")
    args = parser.parse_args()
    few, many = args.tenants
    password_hash = hash_password(PASSWORD)
    runs: dict[int, list[dict]] = {few: [], many: []}
    with Stack(queue_workers={}) as small, Stack(queue_workers={}) as large:
        sites = {few: (small, prepare(small, few, few, password_hash)),
                 many: (large, prepare(large, few, many, password_hash))}
        timed_gets(sites, 30)  # warm-up: both web workers, their pools, the caches
        for n in range(args.runs):
            for size, latencies in timed_gets(sites, args.requests).items():
                runs[size].append({"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)})
            print(f"run {n + 1}: " + "; ".join(
                f"{size} tenants p50 {runs[size][-1]['p50']:.2f} ms, p95 {runs[size][-1]['p95']:.2f} ms"
                for size in (few, many)), flush=True)
        engine = create_engine(large.env["DATABASE_URL"])
        with engine.connect() as connection:
            owner = connection.scalar(select(User.id).where(User.email == OWNER))
        explain(large, engine, owner, args.explain)
        engine.dispose()
    p95 = {size: median_of(runs[size], "p95") for size in runs}
    p50 = {size: median_of(runs[size], "p50") for size in runs}
    record({f"portal_p95_ms_{size}": p95[size] for size in runs})
    print(f"portal dashboard ({args.requests} GETs x {args.runs} runs per size, medians): {few} tenants "
          f"p50 {p50[few]:.2f} ms, p95 {p95[few]:.2f} ms; {many} tenants p50 {p50[many]:.2f} ms, "
          f"p95 {p95[many]:.2f} ms; ratio {p95[many] / p95[few]:.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
