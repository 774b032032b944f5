"""Benchmark: signed Stripe events POSTed to /webhooks/stripe beside GET /livez (no database, no
Redis) on the same gunicorn, alternating the two phases, with N keep-alive clients for a fixed
duration each. Intake stores; the billing workers' dispatcher (``worker.event_dispatch``, run
here on its own, its CPU counted) enqueues what each commit notifies; nothing processes.

The load generator is several processes of threads, each thread one keep-alive connection
speaking HTTP/1.1 over a plain socket (httpx costs ~1 ms of CPU per request, which on a small
machine would take the CPU the server needs). Every event has its own id and a signature
made for it just before it is sent.

    .venv/bin/python -m bench.webhook_intake [--clients 16] [--processes 2] [--duration 8] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from redis import Redis
from sqlalchemy import create_engine, func, select

from bench.harness import WEBHOOK_SECRET, Stack, median_of, percentile, record
from billing.signatures import sign
from db.models import StripeEvent

MAX_REQUESTS_PER_CLIENT = 200_000  # a bound on count as well as on time


def invoice_template() -> str:
    """An ``invoice.created`` event as Stripe sends it (~2 KB), with placeholders."""
    line = {
        "id": "il_1Bench", "object": "line_item", "amount": 2900, "currency": "eur",
        "description": "1 x Starter (at EUR 29.00 / month)", "discountable": True,
        "livemode": False, "metadata": {}, "quantity": 1,
        "period": {"start": 1, "end": 2}, "pricing": {"type": "price_details", "price_details": {
            "price": "price_starter_monthly", "product": "prod_starter"}},
    }
    return json.dumps({
        "id": "evt___ID__", "object": "event", "type": "invoice.created",
        "api_version": "2026-10-28.endive", "created": "__NOW__", "livemode": False,
        "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None},
        "data": {"object": {
            "id": "in___ID__", "object": "invoice", "account_country": "DE",
            "account_name": "Contyzr GmbH", "amount_due": 2900, "amount_paid": 0,
            "amount_remaining": 2900, "attempt_count": 0, "attempted": False, "auto_advance": True,
            "billing_reason": "subscription_cycle", "collection_method": "charge_automatically",
            "created": "__NOW__", "currency": "eur", "customer": "cus___ID__",
            "customer_email": "owner@example.com", "customer_name": "Bench GmbH",
            "customer_address": {"city": "Berlin", "country": "DE", "line1": "Hauptstr. 1",
                                 "line2": None, "postal_code": "10115", "state": None},
            "customer_tax_exempt": "none", "description": None, "due_date": None,
            "ending_balance": None, "footer": None, "hosted_invoice_url": None,
            "invoice_pdf": None, "lines": {"object": "list", "data": [line], "has_more": False,
                                           "total_count": 1, "url": "/v1/invoices/in___ID__/lines"},
            "metadata": {}, "number": None, "period_end": "__NOW__", "period_start": "__NOW__",
            "starting_balance": 0, "statement_descriptor": None, "status": "draft",
            "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None,
                                   "paid_at": None, "voided_at": None},
            "subtotal": 2900, "subtotal_excluding_tax": 2900, "total": 2900,
            "total_excluding_tax": 2900, "total_discount_amounts": [], "total_taxes": [],
            "parent": {"type": "subscription_details", "subscription_details": {
                "subscription": "sub___ID__", "metadata": {}}},
            "webhooks_delivered_at": None,
        }},
    }).replace('"__NOW__"', "__NOW__")


class Connection:
    """One keep-alive HTTP/1.1 connection; enough of the protocol for these two endpoints."""

    def __init__(self, port: int):
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def exchange(self, request: bytes) -> int:
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        headers = head.lower()
        length = int(headers.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
        while len(self.buffer) < length:
            self._receive()
        self.buffer = self.buffer[length:]
        if b"connection: close" in headers:
            self.close()
        return int(head[9:12])

    def _receive(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def request_maker(kind: str, port: int):
    host = f"127.0.0.1:{port}"
    if kind == "livez":
        fixed = f"GET /livez HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
        return lambda: fixed
    template, prefix, counter = invoice_template(), uuid.uuid4().hex[:12], iter(range(10**9))

    def webhook() -> bytes:
        now = int(time.time())
        body = template.replace("__ID__", f"{prefix}{next(counter):08d}").replace("__NOW__", str(now))
        return (f"POST /webhooks/stripe HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"Stripe-Signature: {sign(body, WEBHOOK_SECRET, now)}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n{body}").encode()
    return webhook


def client_loop(make: Callable[[], bytes], port: int, start_at: float, duration: float,
                out: dict) -> None:
    """One keep-alive connection sending ``make()``'s requests until ``duration`` is over."""
    connection = Connection(port)
    latencies, errors, deadline = out["latencies"], 0, start_at + duration
    time.sleep(max(0.0, start_at - time.monotonic()))
    while len(latencies) < MAX_REQUESTS_PER_CLIENT and time.monotonic() < deadline:
        request = make()
        started = time.perf_counter()
        try:
            ok = connection.exchange(request) == 200
        except (OSError, ValueError, IndexError):
            connection.close()
            ok = False
        if ok:
            latencies.append((time.perf_counter() - started) * 1000)
        else:
            errors += 1
    out.update(errors=errors, ended=time.monotonic())
    connection.close()


def run_clients(new_maker: Callable[[], Callable[[], bytes]], port: int, threads: int,
                start_at: float, duration: float) -> dict:
    """``threads`` connections of one load-generator process, each with its own request maker;
    what they saw."""
    outs = [{"latencies": []} for _ in range(threads)]
    cpu = time.process_time()
    workers = [threading.Thread(target=client_loop, args=(new_maker(), port, start_at, duration, out))
               for out in outs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {"latencies": [ms for out in outs for ms in out["latencies"]],
            "errors": sum(out["errors"] for out in outs), "ended": max(out["ended"] for out in outs),
            "cpu": time.process_time() - cpu}


def client_process(job: tuple) -> dict:
    """One load-generator process of this benchmark (a pool's task)."""
    kind, port, threads, start_at, duration = job
    return run_clients(lambda: request_maker(kind, port), port, threads, start_at, duration)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (gunicorn's workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    total = 0
    for each in [str(pid), *(children.read_text().split() if children.exists() else [])]:
        fields = Path(f"/proc/{each}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def service_pids(stack: Stack) -> dict[str, int]:
    pids = {"web": stack.web.pid, "postgres": 0, "redis": stack.redis.process.pid}
    if getattr(stack, "dispatcher", None) is not None:  # (only this benchmark runs one alone)
        pids["dispatcher"] = stack.dispatcher.pid
    postmaster = stack.root / "postgres" / "postmaster.pid"
    if postmaster.exists():
        pids["postgres"] = int(postmaster.read_text().split()[0])
    return {name: pid for name, pid in pids.items() if pid}


def phase(pool, stack: Stack, kind: str, clients: int, processes: int, duration: float) -> dict:
    per_process = [clients // processes + (n < clients % processes) for n in range(processes)]
    start_at = time.monotonic() + 0.5
    pids = service_pids(stack)
    cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
    parts = pool.map(client_process, [(kind, stack.port, n, start_at, duration) for n in per_process])
    cpu = {name: cpu_seconds(pid) - cpu[name] for name, pid in pids.items()}
    cpu["load generator"] = sum(part["cpu"] for part in parts)
    latencies = [ms for part in parts for ms in part["latencies"]]
    errors = sum(part["errors"] for part in parts)
    if errors > 0.01 * max(1, len(latencies)):
        raise SystemExit(f"{kind}: {errors} failed requests beside {len(latencies)} answered")
    elapsed = max(part["ended"] for part in parts) - start_at
    return {"per_s": len(latencies) / elapsed, "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99), "count": len(latencies), "errors": errors,
            "cpu_ms": {name: 1000 * seconds / max(1, len(latencies)) for name, seconds in cpu.items()}}


def describe(name: str, result: dict) -> str:
    cpu = ", ".join(f"{who} {ms:.2f}" for who, ms in result["cpu_ms"].items())
    return (f"{name} {result['per_s']:7.0f}/s p50 {result['p50_ms']:6.2f} ms p99 {result['p99_ms']:6.2f} ms"
            f" (CPU ms per request: {cpu})")


def run_dispatcher() -> None:
    """The dispatcher alone, as a billing worker runs it (without processing anything)."""
    from web import create_app
    from worker.event_dispatch import Dispatcher

    Dispatcher(create_app()).run()


def check_stored(stack: Stack, answered: int) -> None:
    """Every answered event is in the database and, soon after, in the billing queue."""
    engine = create_engine(stack.env["DATABASE_URL"])
    with engine.connect() as connection:
        stored = connection.scalar(select(func.count()).select_from(StripeEvent))
    engine.dispose()
    redis, deadline = Redis.from_url(stack.env["REDIS_URL"]), time.monotonic() + 10
    while (queued := redis.llen("rq:queue:billing")) < answered and time.monotonic() < deadline:
        time.sleep(0.1)
    if not stored == queued == answered:
        raise SystemExit(f"{answered} events answered, {stored} stored, {queued} queued")
    print(f"all {answered} answered events were stored and enqueued")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections")
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per phase")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--web-workers", type=int, default=2)
    args = parser.parse_args()
    load = (args.clients, args.processes)
    context = multiprocessing.get_context("spawn")
    with context.Pool(args.processes) as pool, \
            Stack(web_workers=args.web_workers, queue_workers={}) as stack:
        stack.dispatcher = stack.spawn(["-c", "from bench.webhook_intake import run_dispatcher; "
                                              "run_dispatcher()"])
        phase(pool, stack, "livez", *load, 2.0)  # warm-up
        answered = phase(pool, stack, "webhook", *load, 2.0)["count"]
        runs = []
        for n in range(args.runs):
            order = ("livez", "webhook") if n % 2 == 0 else ("webhook", "livez")
            result = {kind: phase(pool, stack, kind, *load, args.duration) for kind in order}
            answered += result["webhook"]["count"]
            print(f"run {n + 1}: " + describe("bare   ", result["livez"]), flush=True)
            print("       " + describe("webhook", result["webhook"]), flush=True)
            runs.append({
                "webhook_intake_per_s": round(result["webhook"]["per_s"], 1),
                "bare_endpoint_per_s": round(result["livez"]["per_s"], 1),
                "webhook_p50_ms": round(result["webhook"]["p50_ms"], 2),
                "webhook_p99_ms": round(result["webhook"]["p99_ms"], 2),
                "bare_p50_ms": round(result["livez"]["p50_ms"], 2),
                "bare_p99_ms": round(result["livez"]["p99_ms"], 2),
            })
        check_stored(stack, answered)
        web_rss = stack.rss_mb(stack.web)
    figures = {key: median_of(runs, key) for key in runs[0]}
    record({**figures, "web_rss_mb": web_rss})
    ratio = figures["webhook_intake_per_s"] / figures["bare_endpoint_per_s"]
    print(f"webhook intake ({args.clients} clients, {args.duration:g} s phases x {args.runs} runs, "
          f"medians): {figures['webhook_intake_per_s']:.0f} events/s, p50 "
          f"{figures['webhook_p50_ms']:.2f} ms, p99 {figures['webhook_p99_ms']:.2f} ms; bare endpoint "
          f"{figures['bare_endpoint_per_s']:.0f}/s, p50 {figures['bare_p50_ms']:.2f} ms, p99 "
          f"{figures['bare_p99_ms']:.2f} ms; ratio {ratio:.2f} (target >= 0.5); web RSS {web_rss} MB")


if __name__ == "__main__":
    main()
