"""A paying tenant on the local Stripe, and the moves of its billing story (for tests)."""

import itertools

from sqlalchemy import func, select

from db.models import MailLog, Tenant

from support import BILLING_NL, csrf_token, fake_stripe, post_event, run_jobs

_addresses = itertools.count(1)
CARD_OK = "4242424242424242"
PASSWORD = "a long and happy password"


class Timeline:
    """One paying tenant on the local Stripe, and the moves of its billing story."""

    def __init__(self, app, client, db_session, stripe_fake, forwarder, subdomain, plan="starter",
                 checkout=None, trial=False):
        """``checkout``: what the customer enters on the local Checkout page (a card and a
        Dutch consumer's address unless given: payment method, address, business, VAT id)."""
        self.app, self.client, self.session = app, client, db_session
        self.fake, self.forwarder = stripe_fake, forwarder
        url = f"/signup?plan={plan}&interval=month"
        # Each customer signs up from their own address, as they would (signups per address
        # are limited).
        address = "10.{}.{}.{}".format(*next(_addresses).to_bytes(3, "big"))
        response = client.post(url, data={
            "company": f"Company {subdomain}", "subdomain": subdomain,
            "email": f"{subdomain}@example.com", "password": PASSWORD,
            "template": "corporate", "terms": "y", "csrf_token": csrf_token(client, url),
            **({"trial": "y"} if trial else {})},
            environ_overrides={"REMOTE_ADDR": address})
        checkout_url = response.headers["Location"]
        session_id = checkout_url.rsplit("/", 1)[1]
        self.paid = fake_stripe(stripe_fake, "POST", f"/_test/checkout/sessions/{session_id}/pay",
                                **(checkout or {"card": CARD_OK, **BILLING_NL}))
        self.customer = fake_stripe(stripe_fake, "GET", f"/v1/checkout/sessions/{session_id}")["customer"]
        self.session_id, self.subdomain = session_id, subdomain
        self.sync()
        self.find_tenant()
        self.host = {"Host": f"{subdomain}.example.test"}

    def find_tenant(self):
        """The customer's tenant (None while a bank payment is still processing)."""
        self.tenant = self.session.scalar(
            select(Tenant).where(Tenant.stripe_customer_id == self.customer))
        return self.tenant

    def sync(self, duplicate=False, reverse=False):
        """Deliver this customer's new events (twice, or newest first, if asked), run the workers."""
        events = self.forwarder.forward(self.client, customer=self.customer,
                                        order=(lambda e: list(reversed(e))) if reverse else None)
        if duplicate:
            for event in events:
                post_event(self.client, event)
        run_jobs(self.app)
        self.session.expire_all()
        return events

    def fail_renewal(self):
        fake_stripe(self.fake, "POST", f"/_test/customers/{self.customer}/fail_next_payment")
        self.to_period_end()

    def to_period_end(self):
        """Move the local Stripe's clock just past this subscription's renewal."""
        subscription = fake_stripe(self.fake, "GET",
                                   f"/v1/subscriptions/{self.tenant.stripe_subscription_id}")
        period_end = subscription["items"]["data"][0]["current_period_end"]
        now = fake_stripe(self.fake, "GET", "/_test/clock")["now"]
        fake_stripe(self.fake, "POST", "/_test/clock/advance", seconds=period_end - now + 60)

    def advance(self, days):
        fake_stripe(self.fake, "POST", "/_test/clock/advance", days=days)

    def pay(self):
        fake_stripe(self.fake, "POST", f"/_test/customers/{self.customer}/pay_open_invoices",
                    card=CARD_OK)

    def mails(self, kind):
        return self.session.scalar(select(func.count()).select_from(MailLog).where(
            MailLog.tenant_id == self.tenant.id, MailLog.kind == kind, MailLog.status == "sent"))

    def site_status(self):
        return self.client.get("/", headers=self.host).status_code

    def run(self, job):
        with self.app.app_context():
            result = job()
        run_jobs(self.app)
        self.session.expire_all()
        return result


def sign_in_owner(client, t):
    client.post("/login", data={"email": f"{t.tenant.subdomain}@example.com",
                                "password": PASSWORD,
                                "csrf_token": csrf_token(client, "/login")})
