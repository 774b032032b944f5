"""iDEAL, SEPA Direct Debit and cards that need confirming, on the local Stripe: provisioning
waits for the money, a bank debit that fails days later goes through dunning, and every mail
names the payment method the tenant actually uses."""

from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from db.base import utcnow
from db.models import Invoice, Signup, Subdomain, Subscription

from support import BILLING_NL, csrf_token, fake_stripe, post_event, run_jobs, stripe_event
from timeline import sign_in_owner

IDEAL = {"payment_method": "ideal", "ideal_bank": "rabobank", **BILLING_NL}
SEPA_OK = {"payment_method": "sepa_debit", "iban": "NL39RABO0300065264", **BILLING_NL}
SEPA_FAILING = {"payment_method": "sepa_debit", "iban": "NL91ABNA0417164300", **BILLING_NL}
CARD_CONFIRM = {"card": "4000 0027 6000 3184", **BILLING_NL}  # the bank asks every time


def sent_to(mails, t, subject_part: str) -> list[dict]:
    return [mail["body"] for mail in mails.emails
            if mail["body"]["to"] == [f"{t.subdomain}@example.com"]
            and subject_part in mail["body"]["subject"]]


def signup_of(db_session, t) -> Signup:
    return db_session.scalar(select(Signup).where(Signup.subdomain == t.subdomain))


def test_ideal_signup_renews_by_sepa_debit_that_fails_two_days_later_then_dunning(
        timeline, db_session, stripe_fake, mails):
    from worker.jobs.lifecycle import expire_grace

    t = timeline(checkout=IDEAL)
    assert t.tenant.billing_state == "active"  # iDEAL pays at once
    subscription = db_session.get(Subscription, t.tenant.stripe_subscription_id)
    # As at Stripe, iDEAL set up a SEPA Direct Debit mandate for the renewals.
    assert subscription.payment_method_type == "sepa_debit"
    last4 = subscription.payment_method_last4
    assert last4 and len(last4) == 4

    fake_stripe(stripe_fake, "POST", "/_test/settings", sepa_debit_settlement_days=2)
    fake_stripe(stripe_fake, "POST", f"/_test/customers/{t.customer}/fail_next_payment", count=1)
    t.to_period_end()
    t.sync()
    renewal = db_session.scalar(select(Invoice).where(
        Invoice.customer_id == t.customer, Invoice.billing_reason == "subscription_cycle"))
    assert renewal.status == "open"  # processing at the bank
    assert t.tenant.billing_state == "active" and t.mails("dunning") == 0
    t.advance(1)
    t.sync()
    assert t.tenant.billing_state == "active" and t.mails("dunning") == 0

    t.advance(1.1)  # the bank returns the debit
    t.sync()
    assert t.tenant.billing_state == "past_due" and t.mails("dunning") == 1
    dunning = sent_to(mails, t, "payment for")[0]
    assert "SEPA Direct Debit" in dunning["text"] and f"ending in {last4}" in dunning["text"]
    assert "card has expired" not in dunning["text"]
    assert "To pay from another account or by card" in dunning["text"]

    with freeze_time(utcnow() + timedelta(days=8)):
        assert t.run(expire_grace) == 1
    suspended = sent_to(mails, t, "suspended")[0]
    assert "the SEPA Direct Debit from your account ending in " + last4 in suspended["text"]


def test_sepa_signup_is_provisioned_only_when_the_debit_succeeds_three_days_later(
        app, timeline, client, db_session, mails):
    from worker.jobs.signups import expire_unpaid_signups

    t = timeline(checkout=SEPA_OK)
    assert t.paid["session"]["payment_status"] == "unpaid"
    assert t.tenant is None
    signup = signup_of(db_session, t)
    assert signup.status == "pending" and signup.payment_pending_since is not None
    status = client.get(f"/onboarding/{signup.id}/status").json
    assert status["state"] == "processing" and "SEPA Direct Debit" in status["message"]
    assert not status["final"]

    # The hour of an unpaid reservation passes: the name stays held while the bank works.
    with freeze_time(utcnow() + timedelta(hours=3)):
        with app.app_context():
            expire_unpaid_signups()
        run_jobs(app)
    db_session.expire_all()
    assert signup.status == "pending" and db_session.get(Subdomain, t.subdomain) is not None

    t.advance(2.9)
    t.sync()
    assert t.find_tenant() is None and not sent_to(mails, t, "Welcome")
    t.advance(0.2)
    t.sync()
    tenant = t.find_tenant()
    assert tenant is not None and tenant.billing_state == "active"
    assert signup_of(db_session, t).status == "ready"
    assert len(sent_to(mails, t, "Welcome")) == 1
    assert db_session.get(Subscription, tenant.stripe_subscription_id).payment_method_type == "sepa_debit"
    sign_in_owner(client, t)
    billing = client.get("/portal/billing").get_data(as_text=True)
    assert "SEPA Direct Debit from the account ending in 5264" in billing


def test_a_failed_first_sepa_debit_ends_the_signup_and_frees_the_name(timeline, client,
                                                                     db_session, mails):
    t = timeline(checkout=SEPA_FAILING)
    t.advance(3.1)
    t.sync()
    assert t.find_tenant() is None and not sent_to(mails, t, "Welcome")
    signup = signup_of(db_session, t)
    assert signup.status == "expired"
    assert db_session.get(Subdomain, t.subdomain) is None
    status = client.get(f"/onboarding/{signup.id}/status").json
    assert status["state"] == "expired" and "nothing was charged" in status["message"]
    first = db_session.scalar(select(Invoice).where(Invoice.customer_id == t.customer))
    assert first.status == "void" and first.amount_paid == 0


def test_a_renewal_the_bank_wants_confirmed_mails_the_invoice_link_and_paying_restores(
        timeline, client, db_session, stripe_fake, mails):
    t = timeline(checkout=CARD_CONFIRM)
    assert t.tenant.billing_state == "active"  # confirmed on Checkout's page
    t.to_period_end()
    t.sync()
    assert t.tenant.billing_state == "past_due"
    assert t.mails("payment_action_required") == 1 and t.mails("dunning") == 0
    renewal = db_session.scalar(select(Invoice).where(
        Invoice.customer_id == t.customer, Invoice.billing_reason == "subscription_cycle"))
    assert renewal.action_required and renewal.status == "open"
    mail = sent_to(mails, t, "Please confirm the payment")[0]
    assert renewal.hosted_invoice_url in mail["text"] and "Visa card ending in 3184" in mail["text"]
    sign_in_owner(client, t)
    assert "confirm the payment" in client.get("/portal/billing").get_data(as_text=True)

    fake_stripe(stripe_fake, "POST", f"/_test/invoices/{renewal.id}/pay")
    t.sync()
    assert t.tenant.billing_state == "active"
    db_session.refresh(renewal)
    assert renewal.status == "paid" and not renewal.action_required


def test_a_suspended_tenant_asked_to_confirm_a_payment_gets_the_link_and_stays_suspended(
        timeline, client, db_session, stripe_fake):
    from worker.jobs.lifecycle import expire_grace

    t = timeline()
    t.fail_renewal()
    t.sync()
    with freeze_time(utcnow() + timedelta(days=8)):
        assert t.run(expire_grace) == 1
    assert t.tenant.billing_state == "suspended"
    invoice = db_session.scalar(select(Invoice).where(Invoice.customer_id == t.customer,
                                                      Invoice.status == "open"))
    # A later retry of that invoice needs the customer's confirmation.
    payload = fake_stripe(stripe_fake, "GET", f"/v1/invoices/{invoice.id}")
    payload["attempt_count"] += 1
    assert post_event(client, stripe_event("invoice.payment_action_required", payload)
                      ).status_code == 200
    run_jobs(t.app)
    db_session.expire_all()
    assert t.tenant.billing_state == "suspended"
    assert t.mails("payment_action_required") == 1 and t.mails("suspended") == 1


def test_a_payment_method_not_enabled_at_stripe_is_a_clear_refusal(client, db_session,
                                                                  stripe_fake):
    fake_stripe(stripe_fake, "POST", "/_test/settings",
                **{"payment_method_types_enabled[]": ["card", "sepa_debit"]})
    try:
        url = "/signup?plan=starter&interval=month"
        response = client.post(url, data={
            "company": "No iDEAL BV", "subdomain": "no-ideal", "email": "no-ideal@example.com",
            "password": "a long and happy password", "template": "corporate", "terms": "y",
            "csrf_token": csrf_token(client, url)})
        assert response.status_code == 422
        assert "problem with our payment settings" in response.get_data(as_text=True)
        assert "Nothing was charged" in response.get_data(as_text=True)
        assert db_session.scalar(select(Signup).where(Signup.subdomain == "no-ideal")) is None
        assert db_session.get(Subdomain, "no-ideal") is None
    finally:
        fake_stripe(stripe_fake, "POST", "/_test/settings",
                    **{"payment_method_types_enabled[]": ["card", "ideal", "sepa_debit",
                                                          "bancontact"]})
