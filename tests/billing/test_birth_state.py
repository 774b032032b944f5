"""The state a tenant is born in comes from the same rule as every later change: Stripe's
events replayed late and out of order (the customer cancels before provisioning finished, the
subscription lapses or falls past due before it) give the tenant the state, the portal page
and the mails (exactly once) that a live tenant would have got from the same events."""

import itertools
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from db.base import utcnow
from db.models import MailLog, Page, Signup, Tenant, TenantEvent
from tenants import provisioning
from worker.jobs.lifecycle import enforce_retention, expire_grace
from worker.queues import BILLING

from support import BILLING_NL, csrf_token, fake_stripe, post_event, run_jobs

CARD_OK = "4242424242424242"
PASSWORD = "a long and happy password"
_numbers = itertools.count(1)


class Paid:
    """A signup paid at the local Stripe. Its events reach the app and are processed when
    ``deliver`` is called; its provisioning runs only when ``provision`` is called."""

    def __init__(self, app, client, db_session, fake, forwarder):
        self.app, self.client, self.session, self.fake = app, client, db_session, fake
        self.forwarder, n = forwarder, next(_numbers)
        self.subdomain = f"born-{n}-{id(db_session) % 100000}"
        self.email = f"{self.subdomain}@example.com"
        url = "/signup?plan=starter&interval=month"
        response = client.post(url, data={
            "company": f"Company {self.subdomain}", "subdomain": self.subdomain,
            "email": self.email, "password": PASSWORD, "template": "corporate", "terms": "y",
            "csrf_token": csrf_token(client, url)},
            environ_overrides={"REMOTE_ADDR": f"10.77.{n // 250}.{n % 250 + 1}"})
        session_id = response.headers["Location"].rsplit("/", 1)[1]
        fake_stripe(fake, "POST", f"/_test/checkout/sessions/{session_id}/pay", card=CARD_OK,
                    **BILLING_NL)
        checkout = fake_stripe(fake, "GET", f"/v1/checkout/sessions/{session_id}")
        self.customer, self.subscription = checkout["customer"], checkout["subscription"]
        self.signup = db_session.scalar(select(Signup).where(Signup.subdomain == self.subdomain))
        self.host = {"Host": f"{self.subdomain}.example.test"}
        self.delivered = []

    def deliver(self, reverse=False):
        """Stripe's new events for this customer (newest first, if asked), processed in that
        order by the billing worker only."""
        events = self.forwarder.forward(self.client, customer=self.customer,
                                        order=(lambda e: list(reversed(e))) if reverse else None)
        self.delivered += events
        run_jobs(self.app, [BILLING])
        self.session.expire_all()
        return [event["type"] for event in events]

    def deliver_again(self):
        """Every event once more, as Stripe's retries would (all duplicates)."""
        for event in self.delivered:
            assert post_event(self.client, event).json["duplicate"] is True

    def provision(self):
        run_jobs(self.app)
        self.session.expire_all()
        return self.tenant

    @property
    def tenant(self) -> Tenant | None:
        return self.session.scalar(select(Tenant).where(Tenant.signup_id == self.signup.id))

    def fail_renewal(self):
        fake_stripe(self.fake, "POST", f"/_test/customers/{self.customer}/fail_next_payment")
        subscription = fake_stripe(self.fake, "GET", f"/v1/subscriptions/{self.subscription}")
        period_end = subscription["items"]["data"][0]["current_period_end"]
        now = fake_stripe(self.fake, "GET", "/_test/clock")["now"]
        fake_stripe(self.fake, "POST", "/_test/clock/advance", seconds=period_end - now + 60)

    def lapse(self):
        """The renewal fails and Stripe's retries (3, 5, 7 days) fail too."""
        self.fail_renewal()
        for days in (3, 5, 7):
            fake_stripe(self.fake, "POST", "/_test/clock/advance", days=days)

    def mails(self, kind) -> int:
        """Mails of this kind accepted for the owner's address (the outbox's record)."""
        return self.session.scalar(select(func.count()).select_from(MailLog).where(
            MailLog.to_address == self.email, MailLog.kind == kind, MailLog.status == "sent"))

    def portal(self) -> str:
        client = self.client
        client.post("/login", data={"email": self.email, "password": PASSWORD,
                                    "csrf_token": csrf_token(client, "/login")})
        page = client.get("/portal/")
        assert page.status_code == 200
        return page.get_data(as_text=True)

    def history(self) -> list[str]:
        return list(self.session.scalars(select(TenantEvent.kind).where(
            TenantEvent.tenant_id == self.tenant.id).order_by(TenantEvent.id)))


@pytest.fixture
def paid(app, client, db_session, stripe_fake, forwarder, mails):
    return lambda: Paid(app, client, db_session, stripe_fake, forwarder)


def assert_closed(p: Paid):
    tenant = p.tenant
    assert tenant.provisioning_state == "active" and tenant.billing_state == "closed"
    assert tenant.closed_at is not None and tenant.suspended_at is None
    site = p.client.get("/", headers=p.host)
    assert site.status_code == 410 and tenant.company not in site.get_data(as_text=True)
    assert "Your subscription has ended" in p.portal()
    export = p.client.get("/portal/export")
    assert export.status_code == 200 and export.mimetype == "application/zip"
    assert p.mails("welcome") == 1 and p.mails("suspended") == 0
    assert p.history() == ["closed"]


@pytest.mark.parametrize("reverse", [False, True], ids=["in order", "newest first"])
def test_cancelled_before_provisioning_is_born_closed_and_reaches_deletion(paid, stripe_fake,
                                                                           reverse):
    p = paid()
    fake_stripe(stripe_fake, "DELETE", f"/v1/subscriptions/{p.subscription}")  # changed their mind
    # All of it arrives late, at once (or newest first: the cancellation before the payment).
    types = p.deliver(reverse=reverse)
    assert {"invoice.paid", "customer.subscription.deleted"} <= set(types)
    assert p.tenant is None  # provisioning not run yet
    p.provision()
    assert_closed(p)

    p.deliver_again()
    p.provision()
    assert_closed(p)  # still one tenant event and one welcome mail

    closed_at = p.tenant.closed_at
    with freeze_time(closed_at + timedelta(days=24)), p.app.app_context():
        enforce_retention()
    run_jobs(p.app)
    assert p.mails("closing_reminder") == 1
    with freeze_time(closed_at + timedelta(days=31)), p.app.app_context():
        assert enforce_retention() == 1
    p.session.expire_all()
    assert p.tenant.billing_state == "deleted"
    assert p.session.scalar(select(func.count()).select_from(Page)
                            .where(Page.tenant_id == p.tenant.id)) == 0


def test_cancelled_while_provisioning_ran_is_closed_when_it_finishes(paid, stripe_fake,
                                                                     monkeypatch):
    """The tenant row exists (provisioning crashed half-way) when the cancellation arrives."""
    p = paid()
    p.deliver()
    index = provisioning.STEP_NAMES.index("seed_site")
    steps = list(provisioning.STEPS)

    def crash(ctx):
        raise ConnectionError("worker lost its database connection")

    steps[index] = ("seed_site", crash)
    monkeypatch.setattr(provisioning, "STEPS", steps)
    p.provision()  # every attempt crashes at seed_site
    assert p.tenant.provisioning_state == "provisioning"
    monkeypatch.undo()

    fake_stripe(stripe_fake, "DELETE", f"/v1/subscriptions/{p.subscription}")
    p.deliver()
    assert p.tenant.billing_state == "active"  # decided when it goes live, not half-way
    result = p.app.test_cli_runner().invoke(args=["provisioning", "retry", str(p.signup.id)])
    assert result.exit_code == 0, result.output
    p.provision()
    assert_closed(p)


@pytest.fixture
def after_final_failure(request, stripe_fake):
    """What the local Stripe does when the last retry of a renewal fails (restored after)."""
    fake_stripe(stripe_fake, "POST", "/_test/settings", after_final_failure=request.param)
    yield request.param
    fake_stripe(stripe_fake, "POST", "/_test/settings", after_final_failure="unpaid")


@pytest.mark.parametrize("after_final_failure,reason", [
    ("unpaid", "subscription unpaid"),
    ("cancel", "subscription cancelled for non-payment"),
], indirect=["after_final_failure"])
def test_lapsed_before_provisioning_is_born_suspended_with_its_mail(paid, stripe_fake, mails,
                                                                    after_final_failure, reason):
    p = paid()
    p.lapse()
    p.deliver()
    assert p.tenant is None
    p.provision()
    tenant = p.tenant
    assert tenant.provisioning_state == "active" and tenant.billing_state == "suspended"
    assert tenant.suspension_reason == reason
    assert p.client.get("/", headers=p.host).status_code == 503
    assert "Your account is suspended because of an unpaid" in p.portal()
    assert (p.mails("welcome"), p.mails("suspended")) == (1, 1)
    suspended = [m for m in mails.emails if (m.get("idempotency_key") or "").startswith(
        f"suspended-{tenant.id}-")]
    assert len(suspended) == 1 and suspended[0]["body"]["to"] == [p.email]
    assert p.history() == ["suspended"]

    p.deliver_again()
    p.provision()
    assert p.mails("suspended") == 1 and p.history() == ["suspended"]

    if after_final_failure == "unpaid":  # paying the open invoices restores it at once
        fake_stripe(stripe_fake, "POST", f"/_test/customers/{p.customer}/pay_open_invoices",
                    card=CARD_OK)
        p.deliver()
        run_jobs(p.app)
        p.session.expire_all()
        assert p.tenant.billing_state == "active" and p.mails("reactivated") == 1


def test_past_due_before_provisioning_is_born_past_due_with_the_dunning_rules(paid, mails):
    p = paid()
    p.fail_renewal()
    p.deliver()
    p.provision()
    tenant = p.tenant
    assert tenant.provisioning_state == "active" and tenant.billing_state == "past_due"
    assert tenant.grace_until - utcnow() > timedelta(days=6, hours=23)  # Starter: 7 days
    assert p.client.get("/", headers=p.host).status_code == 200  # online during grace
    assert "Your last payment failed" in p.portal()
    assert (p.mails("welcome"), p.mails("dunning")) == (1, 1)
    p.deliver_again()
    p.provision()
    assert p.mails("dunning") == 1

    with freeze_time(utcnow() + timedelta(days=8)), p.app.app_context():
        assert expire_grace() == 1
    run_jobs(p.app)
    p.session.expire_all()
    assert p.tenant.billing_state == "suspended" and p.mails("suspended") == 1
    assert p.history() == ["past_due", "suspended"]


def test_the_rule_is_one_function_of_status_and_cancellation():
    from tenants.billing_states import target_for

    assert target_for("active").state == target_for("trialing").state == "active"
    assert target_for("past_due").state == "past_due"
    assert target_for("unpaid").state == "suspended"
    assert target_for("canceled", "payment_failed").state == "suspended"
    assert target_for("canceled", "cancellation_requested").state == "closed"
    assert target_for("canceled", None).state == "closed"
    assert target_for("incomplete").state is None and target_for("paused").state is None
