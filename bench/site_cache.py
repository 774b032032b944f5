"""Benchmark: a tenant's public home page from the page cache (web/public_site/page_cache.py)
and rendered, beside the bare endpoint on the same server, and the cached page's p95 with 10
and with 10,000 tenants.

Two identical stacks (gunicorn 2 workers × 4 threads, no queue workers) hold the tenants of
``bench.portal`` (bulk-inserted): one 10, the other 10,000. Throughput: on the 10,000-tenant
stack, phases of N keep-alive clients (the plain-socket load generator of
``bench.webhook_intake``) alternate between ``GET /livez``, ``GET /`` of tenant 0's site
(anonymous: from the cache after the first request) and the same page with a session cookie
(never shared: rendered each time, what every request cost before the cache). Latency: sequential
cached ``GET /`` alternating one by one between the two stacks, so that the machine's changing
load falls on both sizes alike.

    .venv/bin/python -m bench.site_cache [--tenants 10 10000] [--clients 8] [--processes 2]
                                         [--duration 5] [--runs 3] [--requests 400]
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import time

from sqlalchemy import create_engine

from bench.harness import Stack, median_of, percentile, record
from bench.portal import PASSWORD, seed
from bench.webhook_intake import Connection, run_clients
from tenants.passwords import hash_password

PLATFORM_DOMAIN = "platform.bench"
SITE_HOST = f"bench-0.{PLATFORM_DOMAIN}"  # a Professional tenant, the ecommerce template
KINDS = ("livez", "cached", "uncached")


def request_for(kind: str, port: int) -> bytes:
    if kind == "livez":
        return f"GET /livez HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    cookie = "Cookie: session=a-visitor\r\n" if kind == "uncached" else ""
    return f"GET / HTTP/1.1\r\nHost: {SITE_HOST}\r\n{cookie}\r\n".encode()


def client_process(job: tuple) -> dict:
    """One load-generator process (a pool's task): the same request over and over."""
    kind, port, threads, start_at, duration = job
    request = request_for(kind, port)
    return run_clients(lambda: lambda: request, port, threads, start_at, duration)


def phase(pool, port: int, kind: str, clients: int, processes: int, duration: float) -> dict:
    per_process = [clients // processes + (n < clients % processes) for n in range(processes)]
    start_at = time.monotonic() + 0.5
    parts = pool.map(client_process, [(kind, port, n, start_at, duration) for n in per_process])
    latencies = [ms for part in parts for ms in part["latencies"]]
    errors = sum(part["errors"] for part in parts)
    if errors > 0.01 * max(1, len(latencies)):
        raise SystemExit(f"{kind}: {errors} failed requests beside {len(latencies)} answered")
    elapsed = max(part["ended"] for part in parts) - start_at
    return {"per_s": len(latencies) / elapsed, "p50_ms": percentile(latencies, 50)}


def check_headers(port: int) -> None:
    """The anonymous page is served from the cache; the one with a session is not."""
    for kind, wanted in (("cached", b"public"), ("uncached", b"private")):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(request_for(kind, port).replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\n"
                                                     b"Connection: close\r\n", 1))
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        sock.close()
        head = answer.split(b"\r\n\r\n", 1)[0].lower()
        if b" 200 " not in head.split(b"\r\n", 1)[0] or wanted not in head:
            raise SystemExit(f"{kind}: unexpected answer {head[:400]!r}")


def timed_gets(ports: dict[int, int], count: int) -> dict[int, list[float]]:
    clients = {size: Connection(port) for size, port in ports.items()}
    request = f"GET / HTTP/1.1\r\nHost: {SITE_HOST}\r\n\r\n".encode()
    latencies: dict[int, list[float]] = {size: [] for size in ports}
    for n in range(count):
        for size in sorted(clients, reverse=n % 2 == 1):
            started = time.perf_counter()
            status = clients[size].exchange(request)
            latencies[size].append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise SystemExit(f"GET / answered {status}")
    for connection in clients.values():
        connection.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, nargs=2, default=[10, 10_000])
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per phase")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=400, help="sequential GETs per run and size")
    args = parser.parse_args()
    small, large = args.tenants
    password_hash = hash_password(PASSWORD)
    env = {"PLATFORM_DOMAIN": PLATFORM_DOMAIN}
    context = multiprocessing.get_context("spawn")
    with context.Pool(args.processes) as pool, Stack(queue_workers={}, env=env) as few, \
            Stack(queue_workers={}, env=env) as many:
        for stack, size in ((few, small), (many, large)):
            engine = create_engine(stack.env["DATABASE_URL"])
            seed(engine, size, password_hash)
            engine.dispose()
        print(f"seeded {small} and {large} tenants", flush=True)
        check_headers(many.port)
        load = (args.clients, args.processes)
        for kind in KINDS:  # warm-up
            phase(pool, many.port, kind, *load, 1.0)
        throughput = []
        for n in range(args.runs):
            order = KINDS if n % 2 == 0 else tuple(reversed(KINDS))
            result = {kind: phase(pool, many.port, kind, *load, args.duration) for kind in order}
            throughput.append({f"site_{kind}_per_s": round(result[kind]["per_s"], 1)
                               for kind in KINDS})
            print(f"run {n + 1}: " + ", ".join(
                f"{kind} {result[kind]['per_s']:.0f}/s (p50 {result[kind]['p50_ms']:.2f} ms)"
                for kind in KINDS), flush=True)
        timed_gets({small: few.port, large: many.port}, 50)  # warm-up
        latency = []
        for n in range(args.runs):
            measured = timed_gets({small: few.port, large: many.port}, args.requests)
            latency.append({f"site_cached_p95_ms_{size}": round(percentile(values, 95), 3)
                            for size, values in measured.items()})
            print(f"run {n + 1}: cached p95 " + ", ".join(
                f"{size} tenants {percentile(values, 95):.2f} ms" for size, values in
                measured.items()), flush=True)
    figures = {key: median_of(throughput, key) for key in throughput[0]}
    figures |= {key: median_of(latency, key) for key in latency[0]}
    figures["site_cache_load"] = f"{args.clients} clients from {args.processes} processes"
    record({key: value for key, value in figures.items()})
    bare = figures["site_livez_per_s"]
    print(f"public home page ({args.clients} clients, {args.duration:g} s phases x {args.runs} "
          f"runs, medians): cached {figures['site_cached_per_s']:.0f}/s "
          f"(ratio {figures['site_cached_per_s'] / bare:.2f}, target >= 0.7), uncached "
          f"{figures['site_uncached_per_s']:.0f}/s (ratio {figures['site_uncached_per_s'] / bare:.2f}), "
          f"bare {bare:.0f}/s; cached p95 {figures[f'site_cached_p95_ms_{small}']:.2f} ms at "
          f"{small} tenants, {figures[f'site_cached_p95_ms_{large}']:.2f} ms at {large} "
          f"(ratio {figures[f'site_cached_p95_ms_{large}'] / figures[f'site_cached_p95_ms_{small}']:.2f}, "
          "target <= 1.2)")


if __name__ == "__main__":
    main()
