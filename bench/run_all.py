"""Every benchmark in sequence with its defaults (under ten minutes on 2 cores, two to five more
for shop_race, about three for admin_tenants, ten for site_checks, three for sweeps and twenty
for signup_burst, whose backlog takes that long to clear here), then BENCHMARKS.md from
bench/results/latest.json.

    .venv/bin/python -m bench.run_all [--only portal ...] [--report-only] [--note "..."]
                                      [--quiet-below 2.5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import RESULTS, record

BENCHMARKS = ("provisioning", "webhook_intake", "portal", "entitlements", "host_lookup", "shop_race",
              "admin_tenants", "site_checks", "site_cache", "sweeps", "signup_burst")
REPORT = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"


def intake_ratio(f: dict) -> float:
    return f["webhook_intake_per_s"] / f["bare_endpoint_per_s"]


def portal_ratio(f: dict) -> float:
    return f["portal_p95_ms_10000"] / f["portal_p95_ms_10"]


def host_ratio(f: dict) -> float:
    return f["site_p50_ms_custom_domain"] / f["site_p50_ms_subdomain"]


def site_cache_ratio(f: dict, kind: str) -> float:
    return f[f"site_{kind}_per_s"] / f["site_livez_per_s"]


def site_p95_ratio(f: dict) -> float:
    return f["site_cached_p95_ms_10000"] / f["site_cached_p95_ms_10"]


def tenant_list_met(f: dict, key: str) -> bool:
    return f[key] < 100 and f["admin_tenants_indexed"] is True


def shop_race(f: dict) -> str:
    return (f"{f['shop_race_buyers']} buyers for the last {f['shop_race_stock']} items × "
            f"{f['shop_race_runs']} runs")


# Resident memory as BENCHMARKS.md gave it on 2026-12-03 (main at a931e43), before the page
# cache and the event dispatcher: the figures this work's are compared with.
RSS_BEFORE = {"web_rss_mb": 214, "worker_rss_mb": 174}

# key, figure, format, target, met (None: no target), how it is measured
ROWS = [
    ("webhook_intake_per_s", "Webhook intake", "{:.0f} events/s",
     lambda f: f"≥ half the bare endpoint (≥ {f['bare_endpoint_per_s'] / 2:.0f}/s); "
               f"ratio {intake_ratio(f):.2f}",
     lambda f: intake_ratio(f) >= 0.5,
     "`POST /webhooks/stripe`: unique `invoice.created` events of ~2 KB, each signed just before it is "
     "sent; 16 keep-alive connections from 2 load-generator processes; 8 s phases alternating with "
     "the bare endpoint, 5 runs; events stored and enqueued (checked), no queue workers"),
    ("bare_endpoint_per_s", "Bare endpoint", "{:.0f} requests/s", lambda f: "baseline", None,
     "`GET /livez` (no database, no Redis) on the same server with the same clients, alternating"),
    ("webhook_p99_ms", "Webhook latency p99", "{:.1f} ms", lambda f: "—", None,
     "per request in the intake phases above (closed loop: 16 clients against 2 × 4 threads)"),
    ("provisioning_p50_s", "Provisioning p50", "{:.3f} s", lambda f: "—", None,
     "signed `invoice.paid` → active tenant with its welcome mail accepted; 200 signups paying at "
     "5/s × 3 runs; 1 billing and 2 provisioning workers"),
    ("provisioning_p95_s", "Provisioning p95", "{:.3f} s", lambda f: "< 1 s",
     lambda f: f["provisioning_p95_s"] < 1, "as above"),
    ("signup_burst_p95_s", "Signup burst: payment → live site p95", "{:.2f} s", lambda f: "< 2 s",
     lambda f: f["signup_burst_p95_s"] < 2,
     "`bench.signup_burst`: signups started open-loop at 50/s for 60 s (a thread pool on schedule), "
     "each `GET /signup?plan=starter` for the form token, `POST /signup` (customer and Checkout "
     "Session created by the app on the local Stripe), then paid through the local Stripe's "
     "`/_test/checkout/sessions/<id>/pay`; from that call's answer to the `finished_at` of the run's "
     "`activate` step (committed with `provisioning_state` active), the events delivered by the "
     "local Stripe to `/webhooks/stripe`, 8 at once (Stripe sends concurrently); gunicorn "
     "2 × 4 threads, 2 billing, "
     "2 provisioning, 1 mail worker; after 5 untimed signups. Every one provisioned, every site's "
     "`GET /` by subdomain 200, no event with an error, no run failed, one welcome mail each: "
     "checked, the benchmark fails otherwise"),
    ("signup_burst_p50_s", "Signup burst: payment → live site p50", "{:.2f} s", lambda f: "—", None,
     "as above"),
    ("signup_burst_rate_per_s", "Signup burst: payments achieved", "{:.1f} signups/s",
     lambda f: f"50/s for 60 s (asked {f['signup_burst_asked'][0]:g}/s for "
               f"{f['signup_burst_asked'][1]:g} s: {f['signup_burst_signups']:,} signups paid)",
     lambda f: f["signup_burst_rate_per_s"] >= 49 and f["signup_burst_signups"] >= 3000,
     "payments answered per second, from the first answer to the last; below the rate asked for "
     "when the stack (or the load generator on the same 2 cores) cannot keep up: the signups "
     "then wait, at most 400 in flight (8 s at 50/s), and start behind schedule"),
    ("signup_burst_all_live_s", "Signup burst: every tenant live", "{:.1f} s", lambda f: "—", None,
     "from the first payment's answer until the last tenant's `activate` step finished"),
    ("signup_burst_web_rss_mb", "Web RSS after the signup burst", "{:.0f} MB",
     lambda f: f"before the page cache and the dispatcher: {RSS_BEFORE['web_rss_mb']} MB "
               "(after the intake benchmark)", None, "gunicorn master + 2 workers"),
    ("signup_burst_worker_rss_mb", "Worker RSS after the signup burst", "{:.0f} MB",
     lambda f: f"before the page cache and the dispatcher: {RSS_BEFORE['worker_rss_mb']} MB "
               "(after the provisioning benchmark)", None, "the largest rq worker"),
    ("portal_p95_ms_10", "Portal dashboard p95, 10 tenants", "{:.1f} ms", lambda f: "baseline", None,
     "`GET /portal/` for one signed-in owner, 300 sequential requests per size × 7 runs after "
     "warm-up, alternating one by one between two identical stacks holding 10 and 10,000 tenants "
     "(bulk-inserted with subscription, owner, pages, products, media; tables analysed)"),
    ("portal_p95_ms_10000", "Portal dashboard p95, 10,000 tenants", "{:.1f} ms",
     lambda f: f"≤ 1.2 × the 10-tenant p95; ratio {portal_ratio(f):.2f}",
     lambda f: portal_ratio(f) <= 1.2, "as above; the owner signed in at 10, then tenants were added"),
    ("site_p50_ms_subdomain", "Public home page p50, by subdomain", "{:.2f} ms",
     lambda f: "baseline", None,
     "`GET /` of a Professional tenant's site by `<subdomain>.<PLATFORM_DOMAIN>`, 400 sequential "
     "requests per host × 7 runs after warm-up, alternating one by one with the custom domain "
     "below; 10,000 tenants with about 10,000 verified domains"),
    ("site_p50_ms_custom_domain", "Public home page p50, by custom domain", "{:.2f} ms",
     lambda f: f"≤ 1.05 × by subdomain; ratio {host_ratio(f):.3f}",
     lambda f: host_ratio(f) <= 1.05, "the same page of the same tenant by its verified `www.` domain"),
    ("site_cached_per_s", "Public home page from the page cache", "{:.0f} requests/s",
     lambda f: f"≥ 0.7 × the bare endpoint beside it ({f['site_livez_per_s']:.0f}/s); "
               f"ratio {site_cache_ratio(f, 'cached'):.2f}",
     lambda f: site_cache_ratio(f, "cached") >= 0.7,
     "`GET /` of a Professional tenant's site by subdomain, anonymous (served from Redis after "
     "the first request); 8 keep-alive connections from 2 load-generator processes, 5 s phases "
     "alternating with the two rows below, 3 runs; 10,000 tenants (`bench.site_cache`)"),
    ("site_uncached_per_s", "Public home page rendered (not cached)", "{:.0f} requests/s",
     lambda f: f"— (ratio {site_cache_ratio(f, 'uncached'):.2f} of the bare endpoint)", None,
     "the same page with a session cookie, which is never served from the shared cache: the "
     "tenant lookup, the page's queries and the render on every request"),
    ("site_livez_per_s", "Bare endpoint, beside the public page", "{:.0f} requests/s",
     lambda f: "baseline", None, "`GET /livez` on the same server with the same clients, alternating"),
    ("site_cached_p95_ms_10", "Public page from the cache p95, 10 tenants", "{:.2f} ms",
     lambda f: "baseline", None,
     "sequential cached `GET /` × 400 per run, 3 runs, alternating one by one between two "
     "identical stacks holding 10 and 10,000 tenants"),
    ("site_cached_p95_ms_10000", "Public page from the cache p95, 10,000 tenants", "{:.2f} ms",
     lambda f: f"≤ 1.2 × the 10-tenant p95; ratio {site_p95_ratio(f):.2f}",
     lambda f: site_p95_ratio(f) <= 1.2, "as above"),
    ("shop_checkout_per_s", "Webshop checkouts opened", "{:.1f} checkouts/s", lambda f: "—", None,
     "buyers on a Professional tenant's site by `<subdomain>.<PLATFORM_DOMAIN>`, 16 at a time, each: "
     "the product page (session cookie, form token), `POST /cart/add`, `POST /cart/checkout` → 303 "
     "to a Checkout Session (payment mode) on the shop's connected account at the local Stripe; "
     "see the webshop race below"),
    ("shop_order_p50_s", "Webshop payment → order p50", "{:.2f} s", lambda f: "—", None,
     "all buyers pay at once; from each payment's answer until its order is paid or (sold out) "
     "refunded: the local Stripe's one delivery thread, `/webhooks/stripe/connect`, 2 billing "
     "workers (Connect events serialised per account)"),
    ("shop_order_p95_s", "Webshop payment → order p95", "{:.2f} s", lambda f: "—", None, "as above"),
    ("shop_settle_s", "Webshop race settled", "{:.1f} s",
     lambda f: f"every count exact in every run ({shop_race(f)}): the stock sold once, the rest "
               "refunded, stock never below 0, one mail each",
     lambda f: f["shop_race_exact"] is True,
     "from the payments' release until no order is open; the checks fail the benchmark"),
    ("admin_tenants_p95_ms_list", "Back office tenant list p95, 10,000 tenants", "{:.1f} ms",
     lambda f: "< 100 ms", lambda f: tenant_list_met(f, "admin_tenants_p95_ms_list"),
     "`GET /admin/tenants` (no query: 50 rows newest first, with the exact count) for a signed-in "
     "support user; 200 rounds × 5 runs after warm-up, each round one request to each list below "
     "and to `GET /livez`, in turn over one keep-alive connection; the portal benchmark's 10,000 "
     "tenants plus a signup and provisioning run each (1% failed), two domains per Professional "
     "tenant (2% lost or misconfigured), a second member for every fourth, 5% trialing, 2.5% past "
     "due, 2% suspended, 1% closed; tables analysed. Met also needs every kind of search (company, "
     "subdomain, email, email domain, own domain, id, Stripe customer) served by indexes under "
     "EXPLAIN"),
    ("admin_tenants_p95_ms_email", "Tenant list p95, search by email", "{:.1f} ms",
     lambda f: "< 100 ms", lambda f: tenant_list_met(f, "admin_tenants_p95_ms_email"),
     "`?q=owner@bench-4200.example.com`: one tenant, found by prefix in the email index"),
    ("admin_tenants_p95_ms_filter", "Tenant list p95, plan and state", "{:.1f} ms",
     lambda f: "< 100 ms", lambda f: tenant_list_met(f, "admin_tenants_p95_ms_filter"),
     "`?plan=professional&state=active`: the first 50 of about 3,150 tenants"),
    ("admin_tenants_p95_ms_page50", "Tenant list p95, page 50", "{:.1f} ms",
     lambda f: "< 100 ms", lambda f: tenant_list_met(f, "admin_tenants_p95_ms_page50"),
     "`?page=50`: rows 2,451 to 2,500, newest first (offset paging)"),
    ("admin_tenants_bare_p95_ms", "Bare endpoint p95, beside the tenant list", "{:.1f} ms",
     lambda f: "baseline", None, "`GET /livez` in the same rounds over the same connection"),
    ("site_checks_round_s", "Health checks: one round of 10,000 tenant sites", "{:.0f} s",
     lambda f: "< 300 s (the check interval)", lambda f: f["site_checks_round_s"] < 300,
     "every live site's home page made due at once and checked by the job's batch step "
     "(`worker.jobs.site_health.check_batch`: claim with SKIP LOCKED, httpx with 50 requests at a "
     "time, record) until each was checked, through `SITE_CHECK_CONNECT` to gunicorn 2 × 4 "
     "threads serving the real sites; the portal benchmark's 10,000 tenants; median of the runs"),
    ("site_checks_per_s", "Health checks per second", "{:.0f} checks/s", lambda f: "—", None,
     "the round above: checks made over its duration"),
    ("site_checks_p95_ms", "Health check response p95", "{:.0f} ms", lambda f: "< 3,000 ms (slow)",
     lambda f: f["site_checks_p95_ms"] < 3000,
     "the recorded response times of the round, which include the wait for one of the 8 server "
     "threads (50 checks in flight)"),
    ("site_uptime_month_mb", "Uptime of a month, 10,000 tenants", "{:.0f} MB",
     lambda f: "a few hundred MB at most", lambda f: f["site_uptime_month_mb"] < 300,
     "`site_uptime_days`: 30 days × 10,000 tenants (24 hour slots each), filled by SQL; "
     "`pg_total_relation_size`, indexes included"),
    ("site_checks_kept_mb", "Checks kept, 10,000 tenants", "{:.0f} MB",
     lambda f: "with the month's uptime, a few hundred MB at most",
     lambda f: f["site_checks_kept_mb"] + f["site_uptime_month_mb"] < 300,
     "`site_checks` as its clean-up keeps it: checks every 5 minutes, healthy ones for 6 hours, "
     "the others (about 1 in 1,000 here) for 48 hours; heap and both indexes"),
    ("site_low_uptime_30d_ms", "Low-uptime query, 30 days × 10,000 tenants", "{:.0f} ms",
     lambda f: "—", None, "`monitoring.uptime.low_uptime_tenants` over 30 days (the alert rule's "
                          "question), median of 5"),
    ("web_rss_mb", "Web RSS", "{:.0f} MB",
     lambda f: f"before the page cache and the dispatcher: {RSS_BEFORE['web_rss_mb']} MB", None,
     "gunicorn master + 2 workers, after the intake benchmark"),
    ("worker_rss_mb", "Worker RSS", "{:.0f} MB",
     lambda f: f"before the page cache and the dispatcher: {RSS_BEFORE['worker_rss_mb']} MB", None,
     "the largest rq worker (a billing worker runs the dispatcher's thread), after the "
     "provisioning benchmark"),
    ("entitlement_check_us", "Entitlement check (`may_use`)", "{:.2f} µs", lambda f: "—", None,
     "in memory from the plan catalog; median of 7 batches of 100,000 calls"),
    ("usage_check_us", "Usage check (`usage`, pages)", "{:.0f} µs", lambda f: "—", None,
     "one count against PostgreSQL in a transaction confined to the tenant (role + RLS); "
     "median of 7 batches of 1,000 calls"),
]

SWEEP_JOBS = ("sweep_events", "sweep_stuck_runs", "sweep_mail", "expire_grace", "enforce_retention",
              "expire_unpaid_signups", "sweep_domains", "check_sites", "clean_site_checks",
              "evaluate_alerts")


def sweep_row(job: str) -> tuple:
    """A row of bench.sweeps: the job at 100,000 tenants, beside its 1,000-tenant baseline."""
    key = f"sweep_{job}_s"
    return (key, f"Sweep `{job}`, 100,000 tenants, 100 due", "{:.2f} s",
            lambda f: f"< 1 s (with {f['sweeps_baseline_tenants']:,} tenants: "
                      f"{f[f'sweep_{job}_baseline_s']:.2f} s)",
            lambda f: f[key] < 1.0,
            "`bench.sweeps`: the job function in an app context as a worker runs it, about 100 "
            "rows due, the rest of 100,000 tenants' rows not; median of 3 runs, the due rows made "
            "again before each, alternating with a 1,000-tenant stack (also 100 due)")


ROWS += [sweep_row(job) for job in SWEEP_JOBS]

EXTRAS = [("webhook_p50_ms", "webhook latency p50 {:.1f} ms"),
          ("bare_p50_ms", "bare endpoint latency p50 {:.1f} ms"),
          ("bare_p99_ms", "bare endpoint latency p99 {:.1f} ms"),
          ("admin_tenants_p50_ms_list", "tenant list p50 {:.1f} ms"),
          ("admin_tenants_p50_ms_email", "search by email p50 {:.1f} ms"),
          ("admin_tenants_p50_ms_filter", "plan and state p50 {:.1f} ms"),
          ("admin_tenants_p50_ms_page50", "page 50 p50 {:.1f} ms"),
          ("admin_tenants_bare_p50_ms", "bare endpoint beside them p50 {:.1f} ms"),
          ("site_checks_p50_ms", "health check response p50 {:.0f} ms"),
          ("site_uptime_one_30d_ms", "one tenant's 30-day uptime {:.1f} ms")]


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def report(figures: dict, note: str | None) -> str:
    lines = [
        "# Benchmarks", "",
        "Generated by `make bench` (`.venv/bin/python -m bench.run_all`) from "
        "`bench/results/latest.json`. Everything runs on one machine: embedded PostgreSQL and Redis, "
        "the local Resend, gunicorn serving `web.wsgi:app` with 2 workers × 4 threads, rq workers "
        "where needed, and the load generators, all over loopback. Results are medians of several "
        "runs.", "",
        f"Machine: {figures.get('machine', 'unknown')}. Report written "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC.", "",
    ]
    if note:
        lines += [note, ""]
    lines += ["| Figure | Result | Target | Met | How measured |", "| --- | --- | --- | --- | --- |"]
    for key, label, fmt, target, met, how in ROWS:
        if key not in figures:
            lines.append(f"| {label} | not measured | | | {cell(how)} |")
            continue
        try:
            target_text, verdict = target(figures), met(figures) if met else None
        except KeyError:
            target_text, verdict = "needs the other figures", None
        shown = "—" if verdict is None else ("yes" if verdict else "**no**")
        result = fmt.format(figures[key])
        lines.append(f"| {label} | {result} | {cell(target_text)} | {shown} | {cell(how)} |")
    extras = [fmt.format(figures[key]) for key, fmt in EXTRAS if key in figures]
    if extras:
        lines += ["", "Also measured: " + ", ".join(extras) + "."]
    if figures.get("load_average_1m"):
        lines += ["", "The machine's 1-minute load average at the start → end of each benchmark "
                  f"({os.cpu_count()} cores; other processes count too): " + "; ".join(
                      f"{name} {start} → {end}" for name, (start, end) in figures["load_average_1m"].items())
                  + ". Figures taken under a higher load are worse; compare like with like."]
    if "shop_settle_s" in figures:
        lines += ["", *shop_section(figures)]
    lines += ["", *unmet_section(figures)]
    return "\n".join(lines) + "\n"


def unmet_section(f: dict) -> list[str]:
    """Where the time goes for the targets of the speed work (issue 20) that are not met, from
    the profiles taken while building it, and what would meet them."""
    def ratio(key: str, base: str) -> str:
        return f"{f[key] / f[base]:.2f}" if f.get(key) and f.get(base) else "?"

    return [
        "## Where the time goes", "",
        "**Webhook intake** (ratio " + ratio("webhook_intake_per_s", "bare_endpoint_per_s")
        + " of the bare endpoint). The request no longer enqueues: the insert's commit notifies "
        "the dispatcher (in the billing workers; the benchmark runs it alone and prints its CPU, "
        "0.5 to 0.9 ms an event). In the web process an event costs about 2.6 to 4 ms of CPU "
        "against 1.0 to 1.4 ms for `/livez` (`bench.webhook_intake` prints each phase's split). "
        "py-spy on a gunicorn worker under intake load alone: "
        "storing is the largest part (about 45% of the view: the ORM session, the pooled "
        "connection, `BEGIN`, the `INSERT`, `COMMIT`, each round trip a switch of threads), then "
        "verifying and parsing (about 15%: HMAC, `json.loads` of 2 KB, the envelope), and the "
        "per-request work every endpoint shares (gunicorn's parsing, Flask's contexts, the security "
        "headers, the log line and the metrics). Removed: the Redis enqueue (a quarter of the "
        "view), a second walk of the body (a tenth), the ping on every checkout. What would meet "
        "0.5: the insert on a raw psycopg connection in autocommit with a prepared statement "
        "(one round trip instead of three, no ORM), which needs the tests' rolled-back transaction "
        "to be reached another way; or the webhook served by a small WSGI app of its own beside "
        "Flask, without the per-request machinery it does not use.", "",
        "**Public page from the cache** (ratio " + ratio("site_cached_per_s", "site_livez_per_s")
        + " of the bare endpoint beside it). A hit still asks PostgreSQL for the tenant "
        "(`BEGIN`, the `SELECT` of the whole row, `ROLLBACK`: the version must be the committed "
        "one, so no stale page is "
        "served), then Redis for the page. What would meet 0.7: the tenant's id, access and "
        "`site_version` in one narrow query in autocommit (one round trip), or the version kept in "
        "Redis by the same transactions (not possible from a trigger: it would need the app to "
        "write it after each commit, and a lost write would serve a stale page).", "",
        "**Sweeps over 1 s with 100 due** (" + ", ".join(
            f"`{job}` {f[f'sweep_{job}_s']:.2f} s" for job in SWEEP_JOBS
            if f.get(f"sweep_{job}_s", 0) >= 1) + "). "
        "Their selections take a millisecond or a few at 100,000 tenants (`bench.sweeps` prints "
        "them); the time is the work on each due row, about the same at 1,000 tenants: a deletion "
        "removes the tenant's rows from a dozen tables, about 10 ms; a domain check asks DNS four "
        "times and records, about 13 ms; a suspension (now under 1 s) is its own transaction of "
        "about ten statements and a mail enqueued. `check_sites` asks each site over HTTP (50 at "
        "a time, a fresh connection each, against one gunicorn worker here) and records: 1.4 s at "
        "1,000 tenants; at 100,000 the sites' server first reloads its map of about 33,000 own "
        "domains, which the domain sweep run just before had changed, and about 30 of the pages "
        "were made anew for the same reason. What would meet 1 s: domain checks in parallel "
        "(they wait on DNS; against real resolvers this matters more than here), deletions in "
        "set-based statements per batch rather than row by row, and health checks against the "
        "edge's several servers rather than one worker.", "",
        *signup_burst_part(f),
    ]


def shop_section(f: dict) -> list[str]:
    """The webshop race (``bench.shop_race``): what it does, what was checked, where the time went."""
    def get(key: str, fmt: str = "{:.2f}") -> str:
        return fmt.format(f[key]) if key in f else "?"

    load = f.get("load_average_1m", {}).get("shop_race")
    return [
        "## Webshop: buyers racing for the last items", "",
        f"`bench.shop_race`: {shop_race(f) if 'shop_race_runs' in f else 'several runs'}, medians. "
        "One Professional tenant whose shop has a connected, charges-enabled Standard account on "
        "the local Stripe (a process delivering the platform's and the Connect webhooks through one "
        "thread, one event at a time); gunicorn 2 × 4 threads, "
        f"{get('shop_race_billing_workers', '{}')} billing workers, 1 mail worker. After an untimed "
        "warm-up race (20 buyers for 2 items, checked alike), each run adds a product with its "
        "stock; every buyer opens a checkout for one item through the site (all get "
        "through: the stock is taken when a payment arrives), then all pay at once (one thread each, "
        "released together), and the run waits until no order is open and every event is processed.",
        "",
        "Checked in every run, the benchmark failing otherwise: exactly the stock paid, with "
        "consecutive order numbers, each order paid once (its history); every other order refunded "
        "in full, with exactly one refund per refunded payment at the local Stripe (listed with the "
        "`Stripe-Account` header) and none for a paid one; the stock 0 at the end and never below 0 "
        "while sampled (every 50 ms); one confirmation mail per paid buyer, one sold-out mail per "
        "refunded buyer, one new-order mail to the owner per paid order and at most one sold-out "
        "mail an hour, all sent; no event failed.", "",
        "| Part | Median |", "| --- | --- |",
        f"| Checkouts opened | {get('shop_checkout_per_s', '{:.1f}')}/s |",
        f"| All payments answered by the local Stripe | {get('shop_payments_s')} s after the release |",
        f"| Payment → its `checkout.session.completed` stored by the app | p50 "
        f"{get('shop_delivery_p50_s')} s, p95 {get('shop_delivery_p95_s')} s |",
        f"| Stored → order paid or refunded (billing queue and processing) | p50 "
        f"{get('shop_processing_p50_s')} s, p95 {get('shop_processing_p95_s')} s |",
        f"| Payment → order | p50 {get('shop_order_p50_s')} s, p95 {get('shop_order_p95_s')} s |",
        f"| Last order settled | {get('shop_settle_s', '{:.1f}')} s after the release |",
        f"| Every event processed | {get('shop_events_drained_s', '{:.1f}')} s after the release "
        f"({get('shop_events', '{:.0f}')} events in a run) |",
        "",
        "The first part of payment → order is the local Stripe's, not the app's: it sends about ten "
        "events per buyer (product, price, payment intent twice, charge, application fee, the "
        "session; for a refund three more) through its one delivery thread, where Stripe delivers "
        "in parallel. The app's part is stored → order: the billing queue, and the Connect events "
        "of one account taking turns (one advisory lock per account, held through each event's "
        "Stripe calls).",
        *(["", f"1-minute load average {load[0]} → {load[1]} on {os.cpu_count()} cores at the start → "
               "end of the benchmark (its own processes count too)."] if load else []),
    ]


def signup_burst_part(f: dict) -> list[str]:
    """The signup burst's paragraph, from the figures of its run."""
    if "signup_burst_rate_per_s" not in f:
        return []
    cpu = {key.removeprefix("signup_burst_cpu_s_").replace("_", " "): value
           for key, value in f.items() if key.startswith("signup_burst_cpu_s_")}
    spent = ", ".join(f"{name} {seconds:.0f}" for name, seconds in
                      sorted(cpu.items(), key=lambda item: -item[1]) if seconds >= 1)
    signups = f["signup_burst_signups"]
    per_signup = "" if "web" not in cpu else (
        f" A signup costs the web about {1000 * cpu['web'] / signups:.0f} ms of CPU")
    per_event = "" if "billing workers" not in cpu else (
        f"; the billing workers about {1000 * cpu['billing workers'] / (8 * signups):.0f} ms on "
        "each of its eight events")
    return [
        f"**Signup burst** (achieved {f['signup_burst_rate_per_s']:.1f} signups/s of the 50 "
        "asked). Every signup was paid and provisioned and every site answered; the time is "
        "capacity. CPU seconds from the burst until all were live: " + (spent or "?") + "."
        + per_signup + (" (mostly an argon2id password hash, and the customer and Checkout "
                        "Session created at Stripe)" if per_signup else "") + per_event + ". "
        "The billing queue is first in, first out: an `invoice.paid` waits behind the other "
        "events of every signup ahead of it (the queue's longest: "
        f"{f.get('signup_burst_billing_queue_max', 0):,} jobs; provisioning never waited). What "
        "would meet it: more cores (web, billing and provisioning workers scale out), the "
        "password hash off the signup's request, and the events that change nothing not "
        "enqueued (or `invoice.paid` taken first).",
    ]


def wait_for_quiet(limit: float | None, patience: float = 300) -> None:
    """Wait (at most ``patience`` s) until the 1-minute load average is below ``limit``."""
    deadline = time.monotonic() + patience
    while limit is not None and os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        time.sleep(5)


def run(names: list[str], quiet_below: float | None) -> None:
    loads = json.loads(RESULTS.read_text()).get("load_average_1m", {}) if RESULTS.exists() else {}
    for name in names:
        wait_for_quiet(quiet_below)
        before = round(os.getloadavg()[0], 1)
        print(f"== bench.{name} (load average {before})", flush=True)
        subprocess.run([sys.executable, "-m", f"bench.{name}"], check=True)  # noqa: S603
        loads[name] = [before, round(os.getloadavg()[0], 1)]
        record({"load_average_1m": loads})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run only these")
    parser.add_argument("--report-only", action="store_true", help="only rewrite BENCHMARKS.md")
    parser.add_argument("--note", help="a paragraph for the report, e.g. on the machine's load")
    parser.add_argument("--quiet-below", type=float, metavar="LOAD",
                        help="before each benchmark, wait (up to 5 min) for a 1-minute load below LOAD")
    args = parser.parse_args()
    started = time.monotonic()
    if not args.report_only:
        run(args.only or list(BENCHMARKS), args.quiet_below)
    REPORT.write_text(report(json.loads(RESULTS.read_text()), args.note))
    print(f"wrote {REPORT.name} after {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
