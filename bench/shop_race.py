"""Benchmark: 100 buyers race for the last 10 items of a webshop, on the embedded stack with
gunicorn (2 workers x 4 threads), 2 billing workers and 1 mail worker, and the local Stripe as
a process delivering the platform's and the connected accounts' webhooks to the app.

One Professional tenant (bulk-inserted as in ``bench.portal``) whose shop has a connected,
charges-enabled Standard account on the local Stripe. After a smaller race as warm-up (20
buyers for 2 items, checked alike, not timed), each run adds a product with a stock of 10,
then:

1. 100 buyers each open a checkout for one item through the tenant's site
   (``Host: <subdomain>.<PLATFORM_DOMAIN>``): the product page for the session cookie and the
   form token, ``POST /cart/add``, ``POST /cart/checkout`` (303 to the local Stripe), 16 buyers
   at a time. Every one gets through: the stock is only taken when a payment arrives.
2. All 100 pay at once: one thread each, released together, calling the local Stripe's pay
   control (iDEAL and cards alternating).
3. The Connect events reach ``/webhooks/stripe/connect``; the billing workers turn each paid
   checkout into an order or, once the stock is gone, refund the payment. The run waits until
   no order of the run is open, sampling the product's stock meanwhile.
4. The checks: exactly 10 orders paid (numbered, once each), 90 refunded in full, the refunds
   present at the local Stripe (listed with the ``Stripe-Account`` header), one per refunded
   payment and none for a paid one; stock 0 at the end and never below 0 while sampled; one
   confirmation mail per paid buyer, one sold-out mail per refunded buyer, one new-order mail
   to the owner per paid order and at most one sold-out mail an hour, all sent; every stored
   event processed, none failed. Any miss ends the benchmark with exit status 1 (and nothing
   is recorded).

The figures: checkouts opened per second, payment -> order (from the answer of each payment to
the moment its order was paid or refunded) p50 and p95, and the time from the payments'
release until the last order left the open state; medians of the runs. Each run also prints
where the time went: payment -> its ``checkout.session.completed`` stored by the app (the local
Stripe delivers its events one at a time, ~10 per buyer), stored -> order (the billing queue and
the processing, serialised per connected account), and the CPU seconds of each part.

    .venv/bin/python -m bench.shop_race [--buyers 100] [--stock 10] [--runs 3] [--clients 16]
                                        [--billing-workers 2] [--warmup 20 2]
"""

from __future__ import annotations

import argparse
import re
import ssl
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
from sqlalchemy import Engine, create_engine, func, insert, select
from sqlalchemy.orm import Session

from bench.harness import Stack, median_of, percentile, record
from bench.portal import PASSWORD, seed
from bench.webhook_intake import cpu_seconds, service_pids
from db.models import MailLog, Order, OrderEvent, OrderItem, Product, StripeEvent, Tenant, User
from db.models.mail import MailStatus
from db.models.shop import OrderStatus
from db.models.tenants import Role
from tenants import shop as shop_rules
from tenants.passwords import hash_password

PLATFORM_DOMAIN = "shops.bench"
SUBDOMAIN = "bench-0"  # the first tenant bench.portal seeds: Professional, ecommerce template
PRICE_CENTS = 1250
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
SETTLE_TIMEOUT = 300  # seconds for every order of a run to leave the open state
MAIL_TIMEOUT = 120  # then for every mail of the run to be sent
# One TLS context for every client (all calls are plain HTTP over loopback): httpx would load
# the CA bundle again for each new client, ~60 ms of this process's CPU that the stack needs.
TLS = ssl.create_default_context()


class Failed(SystemExit):
    """A count that is wrong: the benchmark stops with exit status 1."""

    def __init__(self, problems: list[str] | str):
        problems = [problems] if isinstance(problems, str) else problems
        super().__init__("shop race FAILED:\n  " + "\n  ".join(problems))


def stripe_api(stack: Stack, method: str, path: str, account: str | None = None, **params) -> dict:
    """A ``/v1`` call to the local Stripe with the stack's secret key (on ``account``)."""
    headers = {"Authorization": f"Bearer {stack.env['STRIPE_SECRET_KEY']}"}
    if account:
        headers["Stripe-Account"] = account
    response = httpx.request(method, f"{stack.stripe_url}/v1/{path.lstrip('/')}", headers=headers,
                             data=params if method == "POST" else None,
                             params=params if method != "POST" else None, timeout=60, verify=TLS)
    response.raise_for_status()
    return response.json()


def open_shop(stack: Stack, engine: Engine) -> tuple[int, str]:
    """The tenant (bulk-inserted), its Standard account on the local Stripe, onboarded, and
    its shop row connected to it; (tenant id, account id)."""
    seed(engine, 1, hash_password(PASSWORD))
    with Session(engine) as session:
        tenant = session.scalar(select(Tenant).where(Tenant.subdomain == SUBDOMAIN))
        if tenant.plan_id != "professional":
            raise Failed(f"{SUBDOMAIN} is on {tenant.plan_id}, not Professional")
        account = stripe_api(stack, "POST", "accounts", type="standard", country="NL",
                             **{"business_profile[name]": tenant.company})["id"]
        stack.stripe_control("POST", f"accounts/{account}", charges_enabled="true",
                             payouts_enabled="true", details_submitted="true")
        shop = shop_rules.ensure_shop(session, tenant.id)
        shop_rules.connected(shop, stripe_api(stack, "GET", f"accounts/{account}"))
        if not shop.takes_orders:
            raise Failed(f"the shop does not take orders: {shop.requirements_due}")
        session.commit()
        return tenant.id, account


def add_product(engine: Engine, tenant_id: int, stock: int) -> tuple[int, str]:
    """A fresh product for the run (stock ``stock``); (id, slug)."""
    slug = f"last-items-{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        product_id = connection.scalar(insert(Product).returning(Product.id), dict(
            tenant_id=tenant_id, slug=slug, name="Last blue mugs", description="Almost gone.",
            price_cents=PRICE_CENTS, currency="eur", stock=stock, active=True, images=[],
            vat_rate=21))
    return product_id, slug


def expect(response: httpx.Response, status: int, what: str) -> None:
    if response.status_code != status:
        raise Failed(f"{what} answered {response.status_code}, not {status}: {response.text[:300]}")


def open_checkout(stack: Stack, slug: str, product_id: int) -> str:
    """One buyer on the site: product page, add one to the cart, checkout; the Checkout
    Session's id from the redirect to the local Stripe."""
    host = f"{SUBDOMAIN}.{PLATFORM_DOMAIN}:{stack.port}"
    with httpx.Client(base_url=stack.url, headers={"Host": host}, timeout=60, verify=TLS) as client:
        page = client.get(f"/shop/{slug}")
        expect(page, 200, f"GET /shop/{slug}")
        found = TOKEN.search(page.text)
        if found is None:
            raise Failed("the product page has no form token (no add-to-cart form?)")
        form = {"csrf_token": found.group(1)}
        expect(client.post("/cart/add", data={**form, "product": str(product_id), "quantity": "1"}),
               303, "POST /cart/add")
        checkout = client.post("/cart/checkout", data=form)
        expect(checkout, 303, "POST /cart/checkout")
        location = checkout.headers["location"]
        if not location.startswith(f"{stack.stripe_url}/checkout/pay/cs_"):
            raise Failed(f"checkout went to {location}, not to the local Stripe's Checkout")
        return location.rsplit("/", 1)[1]


def pay_all(stack: Stack, sessions: list[str], run: int) -> dict[str, tuple[str, datetime]]:
    """Every buyer pays at once; {session id: (the buyer's email, when the payment answered)}."""
    barrier = threading.Barrier(len(sessions))

    def pay(n: int, session_id: str) -> tuple[str, tuple[str, datetime]]:
        email = f"buyer-{run}-{n}@race.example.com"
        fields = {"payment_method": "ideal" if n % 2 else "card", "ideal_bank": "rabobank",
                  "card": "4242424242424242", "email": email, "name": f"Buyer {n}",
                  "line1": f"Kerkstraat {n + 1}", "postal_code": "1017 GC", "city": "Amsterdam",
                  "country": "NL"}
        with httpx.Client(timeout=120, verify=TLS) as client:
            barrier.wait(timeout=60)
            response = client.post(f"{stack.stripe_url}/_test/checkout/sessions/{session_id}/pay",
                                   data=fields)
            answered = datetime.now(UTC)
        expect(response, 200, f"paying {session_id}")
        paid = response.json()["session"]
        if paid.get("payment_status") != "paid" or paid.get("status") != "complete":
            raise Failed(f"{session_id} is {paid.get('status')}/{paid.get('payment_status')} after paying")
        return session_id, (email, answered)

    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        return dict(pool.map(pay, range(len(sessions)), sessions))


def event_failures(connection) -> list[str]:
    return [f"event {event_id} ({kind}): {error}" for event_id, kind, error in connection.execute(
        select(StripeEvent.id, StripeEvent.type, StripeEvent.last_error)
        .where(StripeEvent.last_error.is_not(None)).limit(5))]


def settle(engine: Engine, order_ids: list[int], product_id: int) -> int:
    """Wait until no order of the run is open; the lowest stock seen meanwhile."""
    lowest, deadline = None, time.monotonic() + SETTLE_TIMEOUT
    with engine.connect() as connection:
        while True:
            stock = connection.scalar(select(Product.stock).where(Product.id == product_id))
            still_open = connection.scalar(select(func.count()).select_from(Order).where(
                Order.id.in_(order_ids), Order.status == OrderStatus.OPEN))
            connection.rollback()
            lowest = stock if lowest is None else min(lowest, stock)
            if still_open == 0:
                return lowest
            if time.monotonic() > deadline:
                raise Failed([f"{still_open} of {len(order_ids)} orders still open after "
                              f"{SETTLE_TIMEOUT} s", *event_failures(connection)])
            time.sleep(0.05)


def drain(engine: Engine) -> datetime:
    """Wait until every stored event is processed (the tail after the orders: refunds,
    charges, application fees); when the last one was."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    with engine.connect() as connection:
        while True:
            waiting = dict(connection.execute(
                select(StripeEvent.type, func.count()).where(StripeEvent.processed_at.is_(None))
                .group_by(StripeEvent.type)).all())
            failures = event_failures(connection)
            last = connection.scalar(select(func.max(StripeEvent.processed_at)))
            connection.rollback()
            if failures:
                raise Failed(failures)
            if not waiting:
                return last
            if time.monotonic() > deadline:
                raise Failed(f"events still unprocessed after {SETTLE_TIMEOUT} s: {waiting}")
            time.sleep(0.1)


def wait_for_mails(engine: Engine, order_ids: list[int]) -> list[tuple]:
    """Every mail of the run's orders sent (by the mail worker through the local Resend);
    the rows as (kind, to, status, order id)."""
    deadline = time.monotonic() + MAIL_TIMEOUT
    ids = {str(order_id) for order_id in order_ids}
    with engine.connect() as connection:
        while True:
            rows = [(kind, to, status, int(params["order_id"])) for kind, to, status, params in
                    connection.execute(select(MailLog.kind, MailLog.to_address, MailLog.status,
                                              MailLog.params)
                                       .where(MailLog.params["order_id"].astext.in_(ids)))]
            connection.rollback()
            if all(status != MailStatus.PENDING for _, _, status, _ in rows):
                return rows
            if time.monotonic() > deadline:
                pending = sum(status == MailStatus.PENDING for _, _, status, _ in rows)
                raise Failed(f"{pending} of {len(rows)} mails still pending after {MAIL_TIMEOUT} s")
            time.sleep(0.25)


def refunds_at_stripe(stack: Stack, account: str) -> list[dict]:
    """Every refund on the shop's account, page by page."""
    refunds, after = [], None
    while True:
        page = stripe_api(stack, "GET", "refunds", account=account, limit=100,
                          **({"starting_after": after} if after else {}))
        refunds += page["data"]
        if not page["has_more"]:
            return refunds
        after = page["data"][-1]["id"]


def check(stack: Stack, engine: Engine, run: dict) -> dict:
    """Every count of the run; a list of what is wrong (empty: all exact) and what was seen."""
    stock, buyers, problems = run["stock"], len(run["orders"]), []
    with Session(engine) as session:
        orders = list(session.scalars(select(Order).where(Order.id.in_(run["orders"]))))
        events = Counter((order_id, kind) for order_id, kind in session.execute(
            select(OrderEvent.order_id, OrderEvent.kind).where(OrderEvent.order_id.in_(run["orders"]))))
        sold = session.scalar(select(func.coalesce(func.sum(OrderItem.quantity), 0)).join(
            Order, Order.id == OrderItem.order_id).where(
            OrderItem.product_id == run["product"], Order.status == OrderStatus.PAID))
        left = session.scalar(select(Product.stock).where(Product.id == run["product"]))
        owners = set(session.scalars(select(User.email).where(
            User.tenant_id == run["tenant"], User.role == Role.OWNER)))
        failures = event_failures(session.connection())
        unprocessed = session.scalar(select(func.count()).select_from(StripeEvent).where(
            StripeEvent.processed_at.is_(None)))
    by_status = Counter(order.status for order in orders)
    paid = [order for order in orders if order.status == OrderStatus.PAID]
    refunded = [order for order in orders if order.status == OrderStatus.REFUNDED]
    if len(paid) != stock or len(refunded) != buyers - stock or len(orders) != buyers:
        problems.append(f"orders by status {dict(by_status)}: expected {stock} paid and "
                        f"{buyers - stock} refunded of {buyers}")
    if left != 0 or run["lowest_stock"] < 0 or sold + left != stock:
        problems.append(f"stock {stock} -> {left} (lowest seen {run['lowest_stock']}), "
                        f"{sold} sold in paid orders")
    numbers = [order.number for order in paid]
    if None in numbers or len(set(numbers)) != len(numbers) or (
            numbers and max(numbers) - min(numbers) + 1 != len(numbers)) \
            or any(order.number is not None for order in refunded):
        problems.append(f"order numbers: paid {sorted(map(str, numbers))}, "
                        f"refunded with a number: {sum(o.number is not None for o in refunded)}")
    for order in orders:
        kinds = {kind: events[order.id, kind] for kind in ("paid", "out_of_stock")}
        wanted = {"paid": 1, "out_of_stock": 0} if order.status == OrderStatus.PAID else \
            {"paid": 0, "out_of_stock": 1}
        if kinds != wanted:
            problems.append(f"order {order.id} ({order.status}) has history {kinds}")
    if any(order.refunded_cents != order.total_cents or order.total_cents <= 0 for order in refunded) \
            or any(order.refunded_cents for order in paid):
        problems.append("an order's refunded amount is not its total (refunded) or 0 (paid)")
    # At the local Stripe: one full refund per refunded payment, none for a paid one.
    intents = {order.payment_intent_id: order for order in orders}
    refunds = [made for made in refunds_at_stripe(stack, run["account"])
               if made["payment_intent"] in intents]
    per_intent = Counter(made["payment_intent"] for made in refunds)
    wrong = [made["id"] for made in refunds if made["status"] != "succeeded"
             or made["amount"] != intents[made["payment_intent"]].total_cents]
    if (len(refunds) != len(refunded) or set(per_intent) != {o.payment_intent_id for o in refunded}
            or max(per_intent.values(), default=1) != 1 or wrong):
        problems.append(f"{len(refunds)} refunds at Stripe for {len(refunded)} refunded orders "
                        f"({len(set(per_intent))} payments; not full or not succeeded: {wrong[:5]})")
    # Mails: the buyer's confirmation or sold-out mail, the owner's new-order mail; the owner's
    # sold-out mail at most once an hour (an earlier run in the same hour may have had it).
    mails = Counter((kind, to.lower(), order_id) for kind, to, _, order_id in run["mails"]
                    if kind != "order_out_of_stock_owner")
    sold_out_notices = Counter(to.lower() for kind, to, _, _ in run["mails"]
                               if kind == "order_out_of_stock_owner")
    if any(count > 1 for count in sold_out_notices.values()) or set(sold_out_notices) - owners:
        problems.append(f"the owner's sold-out mails: {dict(sold_out_notices)}, at most one each")
    expected = Counter()
    for order in paid:
        expected[("order_confirmation", run["buyers"][order.checkout_session_id], order.id)] += 1
        expected.update(("new_order", owner, order.id) for owner in owners)
    for order in refunded:
        expected[("order_out_of_stock", run["buyers"][order.checkout_session_id], order.id)] += 1
    if mails != expected:
        problems.append(f"mails: {sum((mails - expected).values())} unexpected, "
                        f"{sum((expected - mails).values())} missing; by kind "
                        f"{dict(Counter(kind for kind, _, _ in mails.elements()))}")
    not_sent = [(kind, to) for kind, to, status, _ in run["mails"] if status != MailStatus.SENT]
    if not_sent:
        problems.append(f"{len(not_sent)} mails not sent, e.g. {not_sent[:3]}")
    if failures or unprocessed:
        problems.append(f"{unprocessed} stored events unprocessed; failures: {failures}")
    return {"problems": problems, "paid": len(paid), "refunded": len(refunded), "left": left,
            "refunds": len(refunds), "mails": sum(mails.values()), "orders": orders}


def event_times(engine: Engine, account: str, sessions: list[str]) -> dict[str, tuple]:
    """When the app received and processed each session's ``checkout.session.completed``."""
    object_id = StripeEvent.payload["data"]["object"]["id"].astext
    with engine.connect() as connection:
        rows = connection.execute(select(object_id, StripeEvent.received_at, StripeEvent.processed_at)
                                  .where(StripeEvent.account == account,
                                         StripeEvent.type == "checkout.session.completed",
                                         object_id.in_(sessions))).all()
    if len(rows) != len(sessions):
        raise Failed(f"{len(rows)} checkout.session.completed events for {len(sessions)} payments")
    return {session_id: (received, processed) for session_id, received, processed in rows}


def count_events(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(StripeEvent))


def cpu_by_part(stack: Stack) -> dict[str, float]:
    """CPU seconds used so far by each part of the stack (a process and its current children)
    and by this process (the buyers)."""
    parts = {name: [pid] for name, pid in service_pids(stack).items()}
    parts["local Stripe"] = [stack.stripe.pid]
    for process in stack.processes:
        if "--queue" in process.args:
            parts.setdefault(f"{process.args[process.args.index('--queue') + 1]} workers", []).append(
                process.pid)
    cpu = {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in parts.items()}
    return {**cpu, "buyers": time.process_time()}


def one_run(stack: Stack, engine: Engine, tenant_id: int, account: str, n: int, args,
            label: str | None = None) -> dict:
    product_id, slug = add_product(engine, tenant_id, args.stock)
    with engine.connect() as connection:
        before = connection.scalar(select(func.coalesce(func.max(Order.id), 0)))
    # 1. Every buyer opens a checkout, ``clients`` at a time.
    cpu, events_before = cpu_by_part(stack), count_events(engine)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        sessions = list(pool.map(lambda _: open_checkout(stack, slug, product_id), range(args.buyers)))
    opening = time.perf_counter() - started
    with Session(engine) as session:
        orders = dict(session.execute(select(Order.checkout_session_id, Order.id).where(
            Order.id > before, Order.tenant_id == tenant_id)).all())
        still = session.scalar(select(Product.stock).where(Product.id == product_id))
    if set(orders) != set(sessions) or len(set(sessions)) != args.buyers or still != args.stock:
        raise Failed(f"{len(set(sessions))} checkouts opened, {len(orders)} orders for them, "
                     f"stock {still} (expected {args.buyers}, {args.buyers}, {args.stock})")
    # 2. Everyone pays at once; 3. the webhooks are processed until no order is open.
    released = datetime.now(UTC)
    payments = pay_all(stack, sessions, n)
    paying = (max(answered for _, answered in payments.values()) - released).total_seconds()
    lowest = settle(engine, list(orders.values()), product_id)
    run = {"stock": args.stock, "product": product_id, "tenant": tenant_id, "account": account,
           "orders": list(orders.values()), "lowest_stock": lowest,
           "buyers": {session_id: email for session_id, (email, _) in payments.items()}}
    drained = drain(engine)
    cpu = {name: seconds - cpu[name] for name, seconds in cpu_by_part(stack).items()}
    run["mails"] = wait_for_mails(engine, run["orders"])
    # 4. The checks.
    seen = check(stack, engine, run)
    if seen["problems"]:
        raise Failed([f"{label or f'run {n}'}:", *seen["problems"]])
    done = {order.checkout_session_id: order.paid_at if order.status == OrderStatus.PAID
            else order.closed_at for order in seen["orders"]}
    latencies = [(done[session_id] - answered).total_seconds()
                 for session_id, (_, answered) in payments.items()]
    # Where the time went: the local Stripe's delivery, then the app's queue and processing.
    received = event_times(engine, account, sessions)
    delivery = [(received[session_id][0] - answered).total_seconds()
                for session_id, (_, answered) in payments.items()]
    processing = [(done[session_id] - received[session_id][0]).total_seconds() for session_id in sessions]
    events = count_events(engine) - events_before
    result = {
        "shop_checkout_per_s": round(args.buyers / opening, 1),
        "shop_order_p50_s": round(percentile(latencies, 50), 3),
        "shop_order_p95_s": round(percentile(latencies, 95), 3),
        "shop_settle_s": round((max(done.values()) - released).total_seconds(), 2),
        "shop_payments_s": round(paying, 2),
        "shop_events_drained_s": round((drained - released).total_seconds(), 2),
        "shop_delivery_p50_s": round(percentile(delivery, 50), 3),
        "shop_delivery_p95_s": round(percentile(delivery, 95), 3),
        "shop_processing_p50_s": round(percentile(processing, 50), 3),
        "shop_processing_p95_s": round(percentile(processing, 95), 3),
        "shop_events": events,
    }
    label = label or f"run {n}"
    print(f"{label}: {args.buyers} checkouts in {opening:.1f} s ({result['shop_checkout_per_s']}/s); "
          f"{args.buyers} payments answered within {paying:.2f} s; orders settled after "
          f"{result['shop_settle_s']:.2f} s, every event processed after "
          f"{result['shop_events_drained_s']:.2f} s; payment -> order p50 "
          f"{result['shop_order_p50_s']:.3f} s, p95 {result['shop_order_p95_s']:.3f} s", flush=True)
    print(f"       of which: payment -> its checkout.session.completed received by the app p50 "
          f"{result['shop_delivery_p50_s']:.3f} s, p95 {result['shop_delivery_p95_s']:.3f} s (the local "
          f"Stripe delivered {events} events in the run, one at a time); received -> order p50 "
          f"{result['shop_processing_p50_s']:.3f} s, p95 {result['shop_processing_p95_s']:.3f} s",
          flush=True)
    print("       CPU seconds of the run: " + ", ".join(f"{name} {seconds:.1f}" for name, seconds in
                                                    sorted(cpu.items(), key=lambda item: -item[1])),
          flush=True)
    print(f"       checked: {seen['paid']} paid, {seen['refunded']} refunded ({seen['refunds']} refunds "
          f"at Stripe), stock {args.stock} -> {seen['left']} (lowest seen {lowest}), "
          f"{seen['mails']} mails sent", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyers", type=int, default=100)
    parser.add_argument("--stock", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16, help="buyers opening checkouts at once")
    parser.add_argument("--billing-workers", type=int, default=2)
    parser.add_argument("--warmup", type=int, nargs=2, default=[20, 2], metavar=("BUYERS", "STOCK"),
                        help="an untimed, checked race first (0 0: none)")
    args = parser.parse_args()
    if not 0 < args.stock < args.buyers or args.warmup[0] and not 0 < args.warmup[1] < args.warmup[0]:
        parser.error("the stock must be positive and smaller than the number of buyers")
    workers = {"billing": args.billing_workers, "mail": 1}
    with Stack(queue_workers=workers, stripe=True, env={"PLATFORM_DOMAIN": PLATFORM_DOMAIN}) as stack:
        engine = create_engine(stack.env["DATABASE_URL"])
        tenant_id, account = open_shop(stack, engine)
        print(f"shop of {SUBDOMAIN}.{PLATFORM_DOMAIN} on {account}; {args.buyers} buyers, stock "
              f"{args.stock}, {args.billing_workers} billing workers", flush=True)
        try:
            if args.warmup[0] > 0:  # every process's first requests, jobs and mails, not timed
                warmup = argparse.Namespace(**{**vars(args), "buyers": args.warmup[0],
                                               "stock": args.warmup[1]})
                one_run(stack, engine, tenant_id, account, 0, warmup, label="warm-up")
            runs = [one_run(stack, engine, tenant_id, account, n + 1, args) for n in range(args.runs)]
        except Failed as failed:
            record({"shop_race_exact": False})  # the report shows the last figures as not met
            raise failed from None
        engine.dispose()
    figures = {key: median_of(runs, key) for key in runs[0]}
    record({**figures, "shop_race_exact": True, "shop_race_buyers": args.buyers,
            "shop_race_stock": args.stock, "shop_race_runs": args.runs,
            "shop_race_billing_workers": args.billing_workers})
    print(f"shop race ({args.buyers} buyers for {args.stock} items x {args.runs} runs, medians; "
          f"every run exact): checkouts {figures['shop_checkout_per_s']:.1f}/s; payment -> order p50 "
          f"{figures['shop_order_p50_s']:.3f} s, p95 {figures['shop_order_p95_s']:.3f} s; settled "
          f"{figures['shop_settle_s']:.2f} s after the payments' release (payments answered within "
          f"{figures['shop_payments_s']:.2f} s)")


if __name__ == "__main__":
    main()
