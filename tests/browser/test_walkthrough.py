"""The whole story in a real browser (headless Chromium driven by Playwright): pricing, signup,
the local Stripe's hosted Checkout, onboarding progress, the welcome mail's sign-in link, the
portal, a feature refused on Starter, an upgrade in the billing portal, the feature allowed,
a failed renewal, the suspension page on the public site, payment and reactivation.

Each step leaves a screenshot in ``test-results/browser/walkthrough/NN-step.png`` (git-ignored). The
workers run in this process (support.run_jobs) whenever the app needs them.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.models import Invoice, Signup, Subscription, Tenant
from worker.services import services

import support
from support import fake_stripe, purge

SUBDOMAIN = "walkthrough-bakery"
COMPANY = "Walkthrough Bakery"
EMAIL = "owner@walkthrough-bakery.example"
PASSWORD = "fresh bread every single morning"
CARD_OK = "4242 4242 4242 4242"
RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "browser" / "walkthrough"

SET_VISIBILITY = """state => {
    Object.defineProperty(document, "visibilityState", {configurable: true, get: () => state});
    document.dispatchEvent(new Event("visibilitychange"));
}"""

expect.set_options(timeout=15_000)


class Steps:
    """Numbered screenshots of the walk-through."""

    def __init__(self, page: Page):
        self.page, self.number = page, 0
        shutil.rmtree(RESULTS, ignore_errors=True)
        RESULTS.mkdir(parents=True)

    def shot(self, name: str) -> None:
        self.number += 1
        self.page.screenshot(path=RESULTS / f"{self.number:02d}-{name}.png", full_page=True)


def test_walkthrough_from_pricing_to_reactivation(chromium_page, storefront, stripe_fake, mails):
    live, page = storefront, chromium_page
    base = live.config["PUBLIC_URL"]
    site_url = f"http://{SUBDOMAIN}.localhost:{live.config['PORT']}/"
    engine = services(live).database.engine
    steps = Steps(page)

    def tenant() -> Tenant:
        with Session(engine) as session:
            return session.scalar(select(Tenant).where(Tenant.subdomain == SUBDOMAIN))

    def signup_status() -> str | None:
        with Session(engine) as session:
            return session.scalar(select(Signup.status).where(Signup.subdomain == SUBDOMAIN))

    def run_workers_until(done: Callable[[], bool], what: str, timeout: float = 45) -> None:
        support.run_workers_until(live, stripe_fake, done, what, timeout)

    try:
        # Pricing: choose Starter, monthly.
        page.goto(f"{base}/pricing")
        expect(page.get_by_role("heading", name="Your website or webshop, live in a minute")).to_be_visible()
        steps.shot("pricing")
        page.get_by_role("link", name="Choose Starter").click()

        # Signup form.
        expect(page.get_by_role("heading", name="Start with Starter")).to_be_visible()
        page.get_by_label("Company name").fill(COMPANY)
        page.get_by_label("Site address").fill(SUBDOMAIN)
        page.get_by_label("Your email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Corporate").check()
        page.get_by_label("I accept the terms of service").check()
        steps.shot("signup")
        page.get_by_role("button", name="Continue to payment").click()

        # The local Stripe's hosted Checkout.
        expect(page.get_by_role("heading", name="Subscribe to Contyzr Starter")).to_be_visible()
        expect(page.get_by_text("€29.00 per month")).to_be_visible()
        page.locator("#method-card").check()
        page.get_by_label("Card number").fill(CARD_OK)
        for field, value in (("name", "Jane Doe"), ("line1", "Keizersgracht 1"),
                             ("postal_code", "1015 CJ"), ("city", "Amsterdam")):
            page.locator(f"#{field}").fill(value)
        steps.shot("checkout")
        page.get_by_role("button", name="Subscribe").click()

        # Onboarding: progress from the database; the page polls its status while it waits.
        page.wait_for_url(re.compile(re.escape(base) + r"/onboarding/"))
        onboarding_url = page.url  # the signup's id: nothing secret
        expect(page.get_by_role("heading", name=COMPANY)).to_be_visible()
        expect(page.get_by_text(f"{SUBDOMAIN}.localhost")).to_be_visible()
        steps.shot("onboarding-progress")
        # The tab is in the background while the site is set up: the page's own polling shows
        # the site live and "Enter your portal", but does not spend the one-use hand-off unseen.
        page.evaluate(SET_VISIBILITY, "hidden")
        run_workers_until(lambda: signup_status() == "ready", "the site to be live")
        expect(page.get_by_text("Your site is live.")).to_be_visible()
        expect(page.get_by_role("button", name="Enter your portal")).to_be_focused()
        page.wait_for_timeout(1500)  # time for a forward that must not happen
        assert "/onboarding/" in page.url
        steps.shot("onboarding-ready")
        # Back on screen, the page forwards this browser into the portal.
        page.evaluate(SET_VISIBILITY, "visible")
        page.wait_for_url(f"{base}/portal/")
        expect(page.get_by_role("heading", name=COMPANY)).to_be_visible()
        steps.shot("onboarding-forwarded")

        # The welcome mail's sign-in link.
        welcome = [m for m in mails.emails if m["body"]["to"] == [EMAIL]]
        assert len(welcome) == 1, mails.emails
        signin_url = re.search(r"(http://\S+/signin/\S+)", welcome[0]["body"]["text"]).group(1)
        assert signin_url.startswith(base + "/signin/")
        page.goto(signin_url)
        expect(page.get_by_role("heading", name="Welcome to Contyzr")).to_be_visible()
        steps.shot("signin-link")
        page.get_by_role("button", name="Open my portal").click()

        # The portal.
        expect(page.get_by_text("Welcome! You are signed in.")).to_be_visible()
        expect(page.get_by_role("heading", name=COMPANY)).to_be_visible()
        expect(page.get_by_text(re.compile(r"Starter\s*·\s*monthly"))).to_be_visible()
        steps.shot("portal")

        # The hand-off was used (and its cookie dropped): the page shows progress, signs in no more.
        page.goto(onboarding_url)
        expect(page.get_by_text("Your site is live.")).to_be_visible()
        expect(page.get_by_text("Please sign in with your email and password.")).to_be_visible()
        expect(page.get_by_role("button", name="Enter your portal")).to_have_count(0)
        page.goto(f"{base}/portal/")

        # A gated feature on Starter: the webshop.
        page.get_by_role("navigation", name="Portal").get_by_role("link", name="Products").click()
        expect(page.get_by_text("is not part of your plan")).to_be_visible()
        expect(page.locator(".upgrade").get_by_text("Professional", exact=True)).to_be_visible()
        steps.shot("products-refused-on-starter")

        # Upgrade in the portal: the exact amount first (Stripe's preview, prorated), then the
        # owner's confirmation; that amount is what is charged, and the plan applies at once.
        page.get_by_role("link", name="Upgrade to Professional").click()
        preview = page.locator("#plan-preview")
        expect(preview).to_contain_text("Due now:")
        due = preview.locator("strong").first.inner_text()
        steps.shot("portal-plan-preview")
        page.get_by_role("button", name=f"Confirm and pay {due}").click()
        expect(page.get_by_text("Your upgrade to Professional is paid.")).to_be_visible()
        run_workers_until(lambda: tenant().plan_id == "professional", "the upgrade to apply")
        page.reload()
        expect(page.get_by_role("heading", name="Billing", exact=True)).to_be_visible()
        expect(page.get_by_text("Plan: Professional")).to_be_visible()

        def upgrade_invoice() -> Invoice | None:
            with Session(engine) as session:
                return session.scalar(select(Invoice).where(
                    Invoice.billing_reason == "subscription_update", Invoice.status == "paid",
                    Invoice.customer_id == tenant().stripe_customer_id))

        run_workers_until(lambda: upgrade_invoice() is not None, "the upgrade's invoice")
        assert round(float(due.lstrip("€").replace(",", "")) * 100) == upgrade_invoice().total
        steps.shot("portal-billing-professional")

        # The same feature, allowed.
        page.get_by_role("navigation", name="Portal").get_by_role("link", name="Products").click()
        expect(page.get_by_role("heading", name="Products")).to_be_visible()
        expect(page.get_by_role("link", name="New product")).to_be_visible()
        steps.shot("products-allowed-on-professional")

        # A failed renewal: the card declines at the period's end; the site stays up in grace.
        row = tenant()
        customer, subscription_id = row.stripe_customer_id, row.stripe_subscription_id
        fake_stripe(stripe_fake, "POST", f"/_test/customers/{customer}/fail_next_payment")
        subscription = fake_stripe(stripe_fake, "GET", f"/v1/subscriptions/{subscription_id}")
        period_end = subscription["items"]["data"][0]["current_period_end"]
        now = fake_stripe(stripe_fake, "GET", "/_test/clock")["now"]
        fake_stripe(stripe_fake, "POST", "/_test/clock/advance", seconds=period_end - now + 60)
        run_workers_until(lambda: tenant().billing_state == "past_due", "the failed renewal")
        page.goto(f"{base}/portal/")
        expect(page.get_by_role("alert")).to_contain_text("Your last payment failed")
        steps.shot("portal-payment-failed")

        # Stripe's retries (3, 5, 7 days) fail too: the subscription is unpaid, the app suspends.
        for days in (3, 5, 7):
            fake_stripe(stripe_fake, "POST", "/_test/clock/advance", days=days)
            run_workers_until(lambda: True, f"the retry after {days} days")
        run_workers_until(lambda: tenant().billing_state == "suspended", "the suspension")

        # The public site shows the suspension page.
        response = page.goto(site_url)
        assert response.status == 503
        expect(page.get_by_role("heading", name="This site is temporarily unavailable")).to_be_visible()
        expect(page.get_by_text(COMPANY)).to_have_count(0)
        steps.shot("site-suspended")

        page.goto(f"{base}/portal/")
        expect(page.get_by_role("alert")).to_contain_text("Your account is suspended")
        steps.shot("portal-suspended")

        # Pay: a new card in the billing portal.
        page.get_by_role("alert").get_by_role("link", name="Pay in billing").click()
        page.get_by_role("button", name="Manage plan, card and invoices").click()
        expect(page.get_by_text("Your last payment failed. Update your card below")).to_be_visible()
        page.get_by_label("New card number").fill(CARD_OK)
        steps.shot("billing-portal-new-card")
        page.get_by_role("button", name="Update card").click()
        expect(page.get_by_text("Your payment method was updated.")).to_be_visible()
        run_workers_until(lambda: tenant().billing_state == "active", "the reactivation")
        steps.shot("billing-portal-paid")

        # Reactivated: the public site is back, the portal banner is gone.
        response = page.goto(site_url)
        assert response.status == 200
        expect(page.get_by_role("link", name=COMPANY).first).to_be_visible()
        steps.shot("site-back")

        page.goto(f"{base}/portal/")
        expect(page.get_by_role("heading", name=COMPANY)).to_be_visible()
        expect(page.get_by_role("alert")).to_have_count(0)
        expect(page.get_by_text("Your account is suspended")).to_have_count(0)
        steps.shot("portal-reactivated")
    except BaseException:
        try:
            steps.shot("failed")
        except Exception:  # noqa: S110  (the page may be gone; the original error matters)
            pass
        raise
    finally:
        with Session(engine) as session:
            signup = session.scalar(select(Signup).where(Signup.subdomain == SUBDOMAIN))
            customer_id = signup.stripe_customer_id if signup else None
        purge(engine, [SUBDOMAIN])
        if customer_id:
            with Session(engine) as session:
                session.execute(delete(Invoice).where(Invoice.customer_id == customer_id))
                session.execute(delete(Subscription).where(Subscription.customer_id == customer_id))
                session.commit()
