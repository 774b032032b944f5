"""Benchmark: a signed ``invoice.paid`` request -> an active tenant with its welcome mail
accepted, over many signups, on the embedded stack with gunicorn and 2 provisioning workers.

    .venv/bin/python -m bench.provisioning [--signups 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bench.harness import WEBHOOK_SECRET, Stack, median_of, percentile, record
from billing.signatures import sign
from db.models import MailLog, Tenant
from db.models.mail import MailStatus
from db.models.tenants import ProvisioningState
from plans.catalog import default_catalog
from tenants.signups import SignupRequest, create_or_resume


def make_signups(session: Session, count: int) -> list:
    signups = []
    for n in range(count):
        unique = uuid.uuid4().hex[:10]
        signup, _ = create_or_resume(session, default_catalog(), SignupRequest(
            company=f"Bench {n}", subdomain=f"bench-{unique}", email=f"b-{unique}@example.com",
            password="benchmark password 1", template="corporate", plan_id="starter",
            interval="month"))
        signup.stripe_customer_id = f"cus_{unique}"
        signups.append(signup)
    session.commit()
    return signups


def paid_event(signup) -> str:
    return json.dumps({
        "id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "type": "invoice.paid",
        "api_version": "2026-10-28.endive", "created": int(time.time()), "livemode": False,
        "data": {"object": {
            "id": f"in_{uuid.uuid4().hex[:24]}", "object": "invoice", "status": "paid",
            "customer": signup.stripe_customer_id, "currency": "eur", "amount_due": 2900,
            "amount_paid": 2900, "attempt_count": 1, "billing_reason": "subscription_create",
            "created": int(time.time()), "status_transitions": {"paid_at": int(time.time())},
            "parent": {"type": "subscription_details", "subscription_details": {
                "subscription": f"sub_{signup.stripe_customer_id[4:]}",
                "metadata": {"signup_id": signup.id}}},
        }},
    })


def one_run(stack: Stack, count: int, rate: float) -> dict:
    engine = create_engine(stack.env["DATABASE_URL"])
    with Session(engine, expire_on_commit=False) as session:
        signups = make_signups(session, count)
    started: dict[str, datetime] = {}

    def deliver(signup) -> None:
        payload = paid_event(signup)
        started[signup.id] = datetime.now(UTC)
        response = httpx.post(f"{stack.url}/webhooks/stripe", content=payload,
                              headers={"Stripe-Signature": sign(payload, WEBHOOK_SECRET),
                                       "Content-Type": "application/json"}, timeout=30)
        response.raise_for_status()

    # Payments arrive spread over time, ``rate`` a second.
    with ThreadPoolExecutor(max_workers=8) as pool:
        for signup in signups:
            pool.submit(deliver, signup)
            time.sleep(1 / rate)
    deadline = time.monotonic() + 120
    latencies: list[float] = []
    with Session(engine) as session:
        while time.monotonic() < deadline:
            rows = session.execute(
                select(Tenant.signup_id, MailLog.accepted_at).join(MailLog, MailLog.tenant_id == Tenant.id)
                .where(Tenant.signup_id.in_(list(started)),
                       Tenant.provisioning_state == ProvisioningState.ACTIVE,
                       MailLog.kind == "welcome", MailLog.status == MailStatus.SENT)).all()
            if len(rows) == count:
                latencies = [(accepted - started[sid]).total_seconds() for sid, accepted in rows]
                break
            session.rollback()
            time.sleep(0.25)
    engine.dispose()
    if not latencies:
        raise SystemExit(f"only {len(rows)} of {count} tenants became active with a mail")
    return {"provisioning_p50_s": percentile(latencies, 50),
            "provisioning_p95_s": percentile(latencies, 95)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--signups", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=5.0, help="payments per second")
    args = parser.parse_args()
    with Stack(queue_workers={"billing": 1, "provisioning": 2}) as stack:
        runs = []
        for n in range(args.runs):
            runs.append(one_run(stack, args.signups, args.rate))
            print(f"run {n + 1}: p50 {runs[-1]['provisioning_p50_s']:.3f} s, "
                  f"p95 {runs[-1]['provisioning_p95_s']:.3f} s", flush=True)
        worker_rss = max(stack.rss_mb(p) for p in stack.processes[1:])
    figures = {key: median_of(runs, key) for key in runs[0]}
    record({**figures, "worker_rss_mb": worker_rss})
    print(f"provisioning ({args.signups} signups at {args.rate}/s x {args.runs} runs, medians): "
          f"p50 {figures['provisioning_p50_s']:.3f} s, p95 {figures['provisioning_p95_s']:.3f} s "
          f"(target p95 < 1 s); worker RSS {worker_rss} MB")


if __name__ == "__main__":
    main()
