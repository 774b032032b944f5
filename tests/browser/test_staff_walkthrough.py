"""The back office in a real browser (headless Chromium): a support engineer signs in with a
password and a TOTP code (enrolling the authenticator at the first sign-in), finds a tenant by
its owner's email, opens it, retries its failed provisioning run and sees the site go live,
then views the tenant's portal read-only.

Screenshots go to ``test-results/browser/back-office/``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyotp
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.signatures import sign
from db.models import Tenant
from staff import accounts
from tenants import provisioning
from worker.services import services

import factories
from support import http, invoice, purge, run_jobs, stripe_event

RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "browser" / "back-office"
PASSWORD = "a long staff passphrase 9"

expect.set_options(timeout=15_000)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=RESULTS / f"{name}.png", full_page=True)


def test_support_repairs_a_failed_run_and_views_the_portal(chromium_page, storefront, monkeypatch,
                                                           mails):
    live, page = storefront, chromium_page
    base, engine = live.config["PUBLIC_URL"], services(live).database.engine
    shutil.rmtree(RESULTS, ignore_errors=True)
    RESULTS.mkdir(parents=True)
    with Session(engine) as session:
        signup = factories.signup(session, company="Bakery Broken")
        staff = accounts.create(session, f"support-{signup.id[:8]}@agency.example", "support",
                                PASSWORD)
        session.commit()
        signup_id, subdomain, email, staff_email = (signup.id, signup.subdomain, signup.email,
                                                    staff.email)
        customer = signup.stripe_customer_id
    try:
        # Paid, then the activation step fails for good: the site is not live.
        steps = list(provisioning.STEPS)
        steps[provisioning.STEP_NAMES.index("activate")] = ("activate", _cannot)
        monkeypatch.setattr(provisioning, "STEPS", steps)
        payload = json.dumps(stripe_event("invoice.paid", invoice(customer, "sub_x",
                                                                  signup_id=signup_id)))
        assert http.post(f"{base}/webhooks/stripe", content=payload, headers={
            "Stripe-Signature": sign(payload, "whsec_test_current"),
            "Content-Type": "application/json"}).status_code == 200
        run_jobs(live)
        monkeypatch.undo()  # the cause is fixed
        port = live.config["PORT"]

        def site_status() -> int:
            return http.get(f"http://127.0.0.1:{port}/",
                            headers={"Host": f"{subdomain}.localhost:{port}"}).status_code

        assert site_status() == 404

        # The support engineer signs in: password, then the authenticator is enrolled.
        page.goto(f"{base}/admin/login")
        page.get_by_label("Email").fill(staff_email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("Scan this code")).to_be_visible()
        shot(page, "enrol")
        secret = page.locator("#totp-secret").inner_text()
        page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Recovery codes")).to_be_visible()
        page.get_by_role("link", name="Go to the back office").click()

        # Finds the tenant by its owner's email and opens it.
        nav = page.get_by_role("navigation", name="Back office")
        nav.get_by_role("link", name="Tenants").click()
        page.get_by_label("Search").fill(email)
        page.get_by_label("Search").press("Enter")
        page.get_by_role("link", name="Bakery Broken").click()
        expect(page.get_by_role("heading", name="Bakery Broken")).to_be_visible()
        expect(page.locator(".run-status")).to_contain_text("failed")
        shot(page, "tenant-failed")

        # Retries the run from its failed step: the site goes live.
        page.locator("#reason-retry").fill("activation fixed, ticket 42")
        page.get_by_role("button", name="Retry from the failed step").click()
        expect(page.get_by_text("Done: retry provisioning.")).to_be_visible()
        run_jobs(live)
        page.reload()
        expect(page.locator(".provisioning-state")).to_have_text("active")
        assert site_status() == 200
        shot(page, "tenant-live")

        # Views the tenant's portal as its owner sees it, read-only.
        page.get_by_role("button", name="View as tenant (read-only)").click()
        expect(page.get_by_text("read-only", exact=False).first).to_be_visible()
        expect(page.get_by_text("Bakery Broken").first).to_be_visible()
        shot(page, "view-as-tenant")
        page.get_by_role("button", name="Back to the back office").click()
        expect(page.get_by_role("heading", name="Bakery Broken")).to_be_visible()
        with Session(engine) as session:
            assert session.scalar(select(Tenant.provisioning_state).where(
                Tenant.signup_id == signup_id)) == "active"
    finally:
        purge(engine, [subdomain])


def _cannot(ctx):
    raise provisioning.ProvisioningError("the activation service refused")
