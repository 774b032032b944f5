"""Benchmark: the back office's tenant list (GET /admin/tenants) at 10,000 tenants, for a
signed-in staff member, on the embedded stack with gunicorn (2 workers x 4 threads, no queue
workers), beside the bare endpoint GET /livez (no database, no Redis) in the same run.

The tenants are bench.portal's (bulk-inserted: tenant, subscription, owner, pages, products,
media), with what a real list meets added: a signup and a provisioning run each (1% failed),
two own domains for every Professional tenant (2% lost or misconfigured), a second member for
every fourth, 5% on a trial, 2.5% past due, 2% suspended, 1% closed; tables analysed. The
staff account is made directly, then signs in through /admin/login and /admin/login/code (its
first sign-in: the second factor is enrolled with pyotp).

Timed: four lists, one request each in turn with the bare endpoint (the order rotating every
round), sequentially over one keep-alive connection: no query; a search by an owner's email;
a filter by plan and billing state; page 50. p50 and p95 per run, medians of the runs. Then
every SQL statement of the search rule, for each kind of search, filter, sort and page 50, runs
again under EXPLAIN ANALYZE at 10,000 tenants, printed with the indexes it uses (``--explain``:
whole plans).

    .venv/bin/python -m bench.admin_tenants [--tenants 10000] [--requests 200] [--runs 5] [--explain]
"""

from __future__ import annotations

import argparse
import re
import time
from urllib.parse import quote

import httpx
import pyotp
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session

from bench.harness import Stack, median_of, percentile, record
from bench.portal import PASSWORD, seed
from bench.webhook_intake import Connection
from staff import accounts
from staff.tenant_search import search
from tenants.passwords import hash_password

STAFF_EMAIL = "support@bench-agency.example"
STAFF_PASSWORD = "a long bench staff passphrase 9"
BARE = "/livez"


def lists(probe: int) -> dict[str, str]:
    """The timed lists; ``probe`` is the number of a tenant the search looks for."""
    return {
        "list": "/admin/tenants",
        "email": f"/admin/tenants?q={quote(f'owner@bench-{probe}.example.com')}",
        "filter": "/admin/tenants?plan=professional&state=active",
        "page50": "/admin/tenants?page=50",
    }


def explained(probe: int) -> list[tuple[str, dict]]:
    """What each part of the search rule is asked, for EXPLAIN: (label, search arguments)."""
    return [
        ("no query, newest first", {}),
        ("company prefix", {"query": f"Bench {probe}"}),
        ("subdomain prefix", {"query": f"bench-{probe}"}),
        ("member email", {"query": f"owner@bench-{probe}.example.com"}),
        ("email after the @", {"query": f"bench-{probe}.example.com"}),
        ("own domain", {"query": f"www.bench-{probe}.example.nl"}),
        ("tenant id", {"query": str(probe)}),
        ("Stripe customer", {"query": f"cus_bench{probe}"}),
        ("plan and state", {"plan": "professional", "billing_state": "active"}),
        ("health failing", {"health": "failing"}),
        ("health ok", {"health": "ok"}),
        ("on a trial", {"trial": True}),
        ("company A-Z", {"sort": "company"}),
        ("plan order", {"sort": "plan"}),
        ("state order", {"sort": "state"}),
        ("page 50", {"page": 50}),
    ]


def enrich(engine: Engine) -> None:
    """Add what the list filters on to bench.portal's tenants (see the module's text)."""
    statements = [
        # A signup and a provisioning run per tenant, 1% failed.
        """INSERT INTO signups (id, company, subdomain, email, password_hash, plan_id, interval,
               template, status)
           SELECT md5('signup-' || t.id)::uuid::text, t.company, t.subdomain,
                  'owner@' || t.subdomain || '.example.com', 'x', t.plan_id, t.interval,
                  t.template, 'ready'
           FROM tenants t WHERE t.signup_id IS NULL""",
        "UPDATE tenants SET signup_id = md5('signup-' || id)::uuid::text WHERE signup_id IS NULL",
        """INSERT INTO provisioning_runs (signup_id, tenant_id, status, attempts, error)
           SELECT t.signup_id, t.id, CASE WHEN t.id % 100 = 7 THEN 'failed' ELSE 'succeeded' END,
                  1, CASE WHEN t.id % 100 = 7 THEN 'the mail service refused' END
           FROM tenants t WHERE NOT EXISTS (
               SELECT 1 FROM provisioning_runs r WHERE r.signup_id = t.signup_id)""",
        # Two own domains per Professional tenant, 2% of them in trouble.
        """INSERT INTO custom_domains (tenant_id, name, status, is_primary, failed_checks)
           SELECT t.id, prefix || t.subdomain || '.example.nl',
                  CASE WHEN t.id % 50 = 1 THEN 'lost' WHEN t.id % 50 = 2 THEN 'misconfigured'
                       ELSE 'verified' END, prefix = 'www.', 0
           FROM tenants t CROSS JOIN (VALUES (''), ('www.')) AS names(prefix)
           WHERE t.plan_id = 'professional'
             AND NOT EXISTS (SELECT 1 FROM custom_domains d WHERE d.tenant_id = t.id)""",
        # A second member for every fourth tenant.
        """INSERT INTO users (tenant_id, email, password_hash, role, session_version)
           SELECT t.id, 'editor@' || t.subdomain || '.example.com', 'x', 'editor', 1
           FROM tenants t WHERE t.id % 4 = 0 AND NOT EXISTS (
               SELECT 1 FROM users u WHERE u.tenant_id = t.id AND u.role = 'editor')""",
        # Billing states and trials.
        "UPDATE tenants SET billing_state = 'past_due', past_due_since = now() WHERE id % 40 = 3",
        "UPDATE tenants SET billing_state = 'suspended', suspended_at = now() WHERE id % 50 = 4",
        "UPDATE tenants SET billing_state = 'closed', closed_at = now() WHERE id % 100 = 5",
        """UPDATE subscriptions s SET status = 'trialing', trial_end = now() + interval '9 days'
           FROM tenants t WHERE t.stripe_subscription_id = s.id AND t.id % 20 = 6""",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def make_staff(engine: Engine) -> None:
    with Session(engine) as session:
        accounts.create(session, STAFF_EMAIL, "support", STAFF_PASSWORD)
        session.commit()


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def sign_in(stack: Stack, paths: dict[str, str]) -> str:
    """The staff member's first sign-in (password, then enrolling the second factor); the
    session cookie, as a Cookie header value."""
    with httpx.Client(base_url=stack.url, timeout=30) as client:
        answer = client.post("/admin/login", data={
            "email": STAFF_EMAIL, "password": STAFF_PASSWORD,
            "csrf_token": csrf(client.get("/admin/login").text)})
        if answer.status_code != 303:
            raise SystemExit(f"the staff password step answered {answer.status_code}")
        page = client.get("/admin/login/code").text
        secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
        answer = client.post("/admin/login/code", data={"code": pyotp.TOTP(secret).now(),
                                                        "csrf_token": csrf(page)})
        if answer.status_code != 200 or not re.search(r"<code>[0-9a-f]{8}-[0-9a-f]{8}</code>",
                                                      answer.text):
            raise SystemExit(f"the second factor step answered {answer.status_code}")
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
        check(client, paths)
        return cookie


def check(client: httpx.Client, paths: dict[str, str]) -> None:
    """Each list shows what it should before anything is timed (rows counted by their links,
    whatever the language)."""
    expected = {"list": 50, "email": 1, "filter": 50, "page50": 50}
    for name, path in paths.items():
        answer = client.get(path)
        rows = len(re.findall(r'href="/admin/tenants/[0-9]+"', answer.text))
        if answer.status_code != 200 or rows != expected[name]:
            raise SystemExit(f"{path} answered {answer.status_code} with {rows} rows, not "
                             f"{expected[name]}")


def timed(stack: Stack, cookie: str, paths: dict[str, str], rounds: int,
          first: int = 0) -> dict[str, list[float]]:
    """``rounds`` rounds of one request to each list and to the bare endpoint, in an order
    that rotates every round; the latencies in ms per name."""
    connection = Connection(stack.port)
    host = f"127.0.0.1:{stack.port}"
    requests = {name: f"GET {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\n\r\n".encode()
                for name, path in paths.items()}
    requests["bare"] = f"GET {BARE} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    names = list(requests)
    latencies: dict[str, list[float]] = {name: [] for name in names}
    for n in range(rounds):
        shift = (first + n) % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            status = connection.exchange(requests[name])
            latencies[name].append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise SystemExit(f"{name} answered {status}")
    connection.close()
    return latencies


def explain(engine: Engine, asked: list[tuple[str, dict]], verbose: bool) -> dict[str, bool]:
    """EXPLAIN ANALYZE every statement the search rule runs for each of ``asked``; print
    the time and the scans of each. Returns, per search (those with a query), whether it was
    served by indexes: no sequential scan of tenants, users or custom domains in its count
    and page queries."""
    captured: list[tuple[str, dict]] = []

    def capture(_conn, _cursor, statement, parameters, *_):
        captured.append((statement, parameters))

    indexed: dict[str, bool] = {}
    print("search queries at 10,000 tenants (EXPLAIN ANALYZE; the indexes and scans each uses):")
    with Session(engine) as session:
        for label, arguments in asked:
            captured.clear()
            event.listen(engine, "before_cursor_execute", capture)
            try:
                page = search(session, **arguments)
            finally:
                event.remove(engine, "before_cursor_execute", capture)
            print(f"  {label}: {page.total} tenants, {len(page.rows)} shown")
            statements = list(captured)
            seq_scans = set()
            for number, (statement, parameters) in enumerate(statements):
                plan = [row[0] for row in session.connection().exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)]
                took = next(line for line in plan if line.startswith("Execution Time")).split(": ")[1]
                used = sorted({name for line in plan for name in re.findall(
                    r"(?:Index Scan(?: Backward)? using|Index Only Scan(?: Backward)? using|"
                    r"Bitmap Index Scan on) (\w+)", line)})
                scanned = sorted({name for line in plan for name in re.findall(r"Seq Scan on (\w+)", line)})
                if number < 2:  # the count and the page query: the search and the filters
                    seq_scans.update(scanned)
                what = " ".join(statement.split())[:110]
                print(f"    {took:>10}  indexes: {', '.join(used) or 'none'}"
                      f"{'; seq scan: ' + ', '.join(scanned) if scanned else ''}\n        {what}")
                if verbose:
                    print("\n".join("        " + line for line in plan))
            if arguments.get("query"):
                indexed[label] = not seq_scans & {"tenants", "users", "custom_domains"}
        session.rollback()
    return indexed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="timed rounds per run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="print the whole query plans")
    args = parser.parse_args()
    probe = args.tenants * 42 // 100 // 3 * 3  # a Professional tenant (bench.portal: n % 3 == 0)
    paths = lists(probe)
    runs: dict[str, list[dict]] = {name: [] for name in [*paths, "bare"]}
    with Stack(queue_workers={}) as stack:
        engine = create_engine(stack.env["DATABASE_URL"])
        started = time.monotonic()
        seed(engine, args.tenants, hash_password(PASSWORD))
        enrich(engine)
        print(f"{args.tenants} tenants in the database (seeding took "
              f"{time.monotonic() - started:.1f} s)", flush=True)
        make_staff(engine)
        cookie = sign_in(stack, paths)
        timed(stack, cookie, paths, 20)  # warm-up: both web workers, their pools, the caches
        for n in range(args.runs):
            for name, latencies in timed(stack, cookie, paths, args.requests, first=n).items():
                runs[name].append({"p50": percentile(latencies, 50), "p95": percentile(latencies, 95)})
            print(f"run {n + 1}: " + "; ".join(
                f"{name} p50 {runs[name][-1]['p50']:.1f} ms, p95 {runs[name][-1]['p95']:.1f} ms"
                for name in runs), flush=True)
        indexed = explain(engine, explained(probe), args.explain)
        engine.dispose()
    p50 = {name: median_of(runs[name], "p50") for name in runs}
    p95 = {name: median_of(runs[name], "p95") for name in runs}
    figures = {f"admin_tenants_p95_ms_{name}": p95[name] for name in paths}
    figures |= {f"admin_tenants_p50_ms_{name}": p50[name] for name in paths}
    figures |= {"admin_tenants_bare_p50_ms": p50["bare"], "admin_tenants_bare_p95_ms": p95["bare"],
                "admin_tenants_count": args.tenants,
                "admin_tenants_indexed": all(indexed.values())}
    record(figures)
    print(f"tenant list at {args.tenants} tenants ({args.requests} rounds x {args.runs} runs, "
          "medians): " + "; ".join(f"{name} p50 {p50[name]:.1f} ms, p95 {p95[name]:.1f} ms"
                                   for name in runs) + " (target: p95 < 100 ms)")
    print("searches served by indexes (no sequential scan of tenants, users or domains): " + ", ".join(
        f"{label} {'yes' if ok else 'NO'}" for label, ok in indexed.items()))


if __name__ == "__main__":
    main()
