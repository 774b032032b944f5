"""Helpers shared by tests: Stripe-shaped events, signed deliveries, running queued jobs."""

from __future__ import annotations

import io
import json
import re
import time
import uuid

import httpx
from PIL import Image
from rq import SimpleWorker

from billing.signatures import sign
from worker.queues import BILLING, QUEUE_NAMES
from worker.services import services

from factories import PASSWORD

WEBHOOK_SECRET = "whsec_test_current"
CONNECT_WEBHOOK_SECRET = "whsec_test_connect"
# A Dutch consumer's billing address, as the local Checkout asks for it (Stripe Tax needs it).
BILLING_NL = {"name": "Sanne de Vries", "line1": "Keizersgracht 1", "postal_code": "1015 CJ",
              "city": "Amsterdam", "country": "NL"}


def picture_bytes(width: int, height: int, kind: str = "JPEG", **options) -> bytes:
    """An image drawn with Pillow, of ``kind`` (a Pillow format name): a gradient, so that a
    smaller copy is a real picture."""
    image = Image.linear_gradient("L").resize((width, height)).convert(
        "RGB" if kind != "GIF" else "P")
    buffer = io.BytesIO()
    image.save(buffer, format=kind, **options)
    return buffer.getvalue()


def png(size: int | None = None) -> bytes:
    """A real 1×1 PNG, padded with trailing bytes to ``size`` when given (uploads read it as an
    image and count every byte)."""
    image = picture_bytes(1, 1, "PNG")
    return image if size is None else image + b"\x00" * (size - len(image))


# One client for every call to the local fakes (a new httpx client loads the CA bundle each time).
http = httpx.Client(timeout=30)


def stripe_event(event_type: str, obj: dict, created: int | None = None) -> dict:
    """An event in the shape Stripe sends (see shared/stripe/fixtures3.json)."""
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created or int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def invoice(customer: str, subscription: str, status: str = "paid", signup_id: str = "",
            amount: int = 2900, attempt_count: int = 1, billing_reason: str = "subscription_create",
            invoice_id: str | None = None) -> dict:
    return {
        "id": invoice_id or f"in_{uuid.uuid4().hex[:24]}",
        "object": "invoice",
        "customer": customer,
        "status": status,
        "currency": "eur",
        "amount_due": amount,
        "amount_paid": amount if status == "paid" else 0,
        "attempt_count": attempt_count,
        "billing_reason": billing_reason,
        "created": int(time.time()),
        "hosted_invoice_url": "https://invoice.stripe.com/i/test",
        "invoice_pdf": "https://pay.stripe.com/invoice/test/pdf",
        "parent": {"type": "subscription_details",
                   "subscription_details": {"subscription": subscription,
                                            "metadata": {"signup_id": signup_id}}},
        "status_transitions": {"paid_at": int(time.time()) if status == "paid" else None},
    }


def post_event(client, event: dict, secret: str | None = None, timestamp: int | None = None):
    """Deliver ``event`` as Stripe would: a connected account's (``account``) at the Connect
    endpoint, with its own secret."""
    payload, connect = json.dumps(event), bool(event.get("account"))
    secret = secret or (CONNECT_WEBHOOK_SECRET if connect else WEBHOOK_SECRET)
    return client.post("/webhooks/stripe/connect" if connect else "/webhooks/stripe",
                       data=payload, content_type="application/json",
                       headers={"Stripe-Signature": sign(payload, secret, timestamp)})


def run_jobs(app, queue_names=QUEUE_NAMES) -> None:
    """Run every queued job in this process, as a real rq worker would, until none is left.
    Stored Stripe events never tried are enqueued first, as the billing workers' dispatcher
    does (the test's transaction is never committed, so no notification is sent)."""
    from worker.event_dispatch import catch_up

    queue_set = services(app).queues
    with app.app_context():
        if BILLING in queue_names:
            catch_up()
        worker = SimpleWorker([queue_set[name] for name in queue_names],
                              connection=queue_set.connection)
        worker.work(burst=True, with_scheduler=True)


def run_workers_until(app, stripe_fake, done, what: str, timeout: float = 45) -> None:
    """Let the local Stripe deliver its webhooks and the workers run, until ``done()``."""
    deadline = time.monotonic() + timeout
    while True:
        assert stripe_fake.wait_idle(10), "the local Stripe could not deliver its webhooks"
        run_jobs(app)
        if done():
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"


def queued_job_ids(app, queue_name: str) -> list[str]:
    return services(app).queues[queue_name].get_job_ids()


def csrf_token(client, url: str, **kwargs) -> str:
    """The CSRF token of the form a person would see at ``url``."""
    page = client.get(url, **kwargs).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


class EventForwarder:
    """Delivers the local Stripe's events to the app through the test client, signed as
    Stripe signs them, so that tests keep their per-test transaction."""

    def __init__(self, stripe_fake):
        self.fake = stripe_fake
        self.seen = {event["id"] for event in self.events()}

    def events(self) -> list[dict]:
        return http.get(f"{self.fake.url}/_test/events").json()["events"]

    def payload(self, event_id: str, account: str | None = None) -> dict:
        if account:  # as delivered (an account that revoked the platform hides its events)
            return http.get(f"{self.fake.url}/_test/events/{event_id}").json()
        return http.get(f"{self.fake.url}/v1/events/{event_id}",
                        headers={"Authorization": "Bearer sk_test_suite"}).json()

    def new_events(self) -> list[dict]:
        fresh = [e for e in self.events() if e["id"] not in self.seen]
        self.seen.update(e["id"] for e in fresh)
        return [self.payload(e["id"], e.get("account")) for e in fresh]

    def forward(self, client, order=None, customer: str | None = None) -> list[dict]:
        """Deliver the events since the last call (of one customer, when given); a connected
        account's at the Connect endpoint, signed with its secret."""
        events = self.new_events()
        if customer is not None:
            events = [e for e in events if _customer(e) == customer]
        for event in (order(events) if order else events):
            answer = post_event(client, event)
            assert answer.status_code == 200, (event["type"], answer.get_data(as_text=True))
        return events


def share_transaction(other_app, app) -> None:
    """Let a second app instance work inside the test's rolled-back transaction."""
    services(other_app).database.sessionmaker = services(app).database.sessionmaker


def purge(engine, subdomains: list[str]) -> None:
    """Delete what a committed (live) test created for these subdomains."""
    from sqlalchemy import delete, select
    from sqlalchemy.orm import Session

    from db.models import MailLog, ProvisioningRun, Shop, Signup, StripeEvent, Subdomain, Tenant

    with Session(engine) as session:
        signups = session.scalars(select(Signup).where(Signup.subdomain.in_(subdomains))).all()
        ids = [s.id for s in signups]
        customers = [s.stripe_customer_id for s in signups if s.stripe_customer_id]
        tenants = session.scalars(select(Tenant.id).where(Tenant.signup_id.in_(ids))).all()
        accounts = session.scalars(select(Shop.stripe_account_id).where(
            Shop.tenant_id.in_(tenants), Shop.stripe_account_id.is_not(None))).all()
        # Their shops' events: the accounts' own, and the platform's about them (its fees).
        session.execute(delete(StripeEvent).where(StripeEvent.account.in_(accounts)))
        session.execute(delete(StripeEvent).where(
            StripeEvent.payload["data"]["object"]["account"].astext.in_(accounts)))
        session.execute(delete(MailLog).where(MailLog.tenant_id.in_(tenants)))
        session.execute(delete(Tenant).where(Tenant.id.in_(tenants)))
        session.execute(delete(ProvisioningRun).where(ProvisioningRun.signup_id.in_(ids)))
        session.execute(delete(StripeEvent).where(StripeEvent.customer_id.in_(customers)))
        session.execute(delete(Subdomain).where(Subdomain.signup_id.in_(ids)))
        session.execute(delete(Signup).where(Signup.id.in_(ids)))
        session.commit()


def _customer(event: dict) -> str | None:
    obj = event["data"]["object"]
    return obj.get("id") if obj.get("object") == "customer" else obj.get("customer")


def fake_stripe(stripe_fake, method: str, path: str, **data) -> dict:
    """Call the local Stripe (its API or its /_test controls) as a script would."""
    response = http.request(method, f"{stripe_fake.url}{path}", data=data or None,
                             headers={"Authorization": "Bearer sk_test_suite"})
    return response.json()


def set_public_url(app, url: str) -> None:
    """Serve ``app`` at ``url`` (a live server's port is known only once it listens): the
    setting and the app's URL builder, which ``create_app`` built from the settings."""
    import dataclasses

    from links.urls import Urls
    from worker.services import install, services

    app.config["PUBLIC_URL"] = url
    install(app, dataclasses.replace(services(app), urls=Urls.from_config(app.config)))


def url_for_rule(rule, values: dict) -> str:
    """The path of a URL-map ``rule`` with its arguments taken from ``values``."""
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<[^>]*\b{name}>", str(values[name]), url)
    return url


def sign_in(page, storefront, email: str, password: str = PASSWORD) -> None:
    """Sign in through the storefront's own form, as a person does."""
    page.goto(f"{storefront.config['PUBLIC_URL']}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Portal").wait_for()


def statements_during(app, request) -> tuple:
    """``request()``'s response and the SQL statements the app sent meanwhile (the test's
    savepoints around each request left out: they are not the app's)."""
    from sqlalchemy import event

    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    engine = services(app).database.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        response = request()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return response, [s for s in seen if not s.startswith(("SAVEPOINT", "ROLLBACK TO", "RELEASE"))]
