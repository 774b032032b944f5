"""The whole path over real HTTP: signup form, hosted Checkout, signed webhook deliveries
from the local Stripe to a running app, the billing and provisioning workers, onboarding."""

import re

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Signup, StripeEvent
from worker.services import services

from support import BILLING_NL, http, purge, run_jobs


def test_signup_to_live_site_over_http(live_app, stripe_fake, mails):
    base = live_app.config["PUBLIC_URL"]
    engine = services(live_app).database.engine
    try:
        browser = httpx.Client(base_url=base)
        form = browser.get("/signup?plan=starter&interval=year").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        submitted = browser.post("/signup?plan=starter&interval=year", data={
            "company": "Live Roastery", "subdomain": "live-roastery",
            "email": "beans@roastery.example", "password": "roasting since nineteen ten",
            "template": "blog", "terms": "y", "csrf_token": token})
        assert submitted.status_code == 303
        checkout = http.get(submitted.headers["Location"])
        assert "€290" in checkout.text
        paid = http.post(submitted.headers["Location"], data={"card": "4242424242424242", **BILLING_NL})
        assert paid.status_code == 303
        onboarding = paid.headers["Location"]
        assert onboarding.startswith(base + "/onboarding/")

        assert stripe_fake.wait_idle(10)  # every event delivered, signed, and answered 2xx
        with Session(engine) as session:
            signup = session.scalar(select(Signup).where(Signup.subdomain == "live-roastery"))
            stored = session.scalars(select(StripeEvent).where(
                StripeEvent.customer_id == signup.stripe_customer_id)).all()
        assert {"checkout.session.completed", "invoice.paid", "customer.subscription.created"} <= {
            e.type for e in stored}
        run_jobs(live_app)

        # Nothing secret in the address Stripe sends the browser back to.
        assert onboarding == (f"{base}/onboarding/{signup.id}"
                              f"?session_id={signup.checkout_session_id}")
        status = browser.get(onboarding.split("?")[0].removeprefix(base) + "/status").json()
        assert status["ready"] is True
        # The browser that sent the form (its cookie) enters the portal, once.
        page = browser.get(onboarding.removeprefix(base)).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        entered = browser.post(f"/onboarding/{signup.id}/enter", data={"csrf_token": csrf})
        assert entered.status_code == 302 and entered.headers["Location"] == "/portal/"
        assert "Live Roastery" in browser.get("/portal/").text
        with Session(engine) as session:
            assert all(e.processed_at for e in session.scalars(select(StripeEvent).where(
                StripeEvent.customer_id == signup.stripe_customer_id)))
        assert [m["body"]["to"] for m in mails.emails] == [["beans@roastery.example"]]
    finally:
        purge(engine, ["live-roastery"])
