"""Free trials on the local Stripe: the site at once, a reminder three days before the end,
no gap when it converts, the usual non-payment path without a payment method, and one trial
per email address and per card."""

from sqlalchemy import select

from db.models import Invoice, Signup, Subscription, TrialClaim

from support import BILLING_NL, csrf_token, fake_stripe
from timeline import sign_in_owner

NO_PAYMENT_METHOD = {"payment_method": "none", **BILLING_NL}


def invoices(db_session, t) -> list[Invoice]:
    return db_session.scalars(select(Invoice).where(Invoice.customer_id == t.customer)
                              .order_by(Invoice.created, Invoice.total)).all()


def test_a_trial_is_live_at_once_reminds_three_days_before_and_converts_without_a_gap(
        timeline, client, db_session, stripe_fake):
    t = timeline(trial=True)
    session = fake_stripe(stripe_fake, "GET", f"/v1/checkout/sessions/{t.session_id}")
    assert session["payment_method_collection"] == "if_required"
    assert t.tenant is not None and t.tenant.billing_state == "active"  # provisioned at once
    subscription = db_session.get(Subscription, t.tenant.stripe_subscription_id)
    assert subscription.status == "trialing" and subscription.trial_end is not None
    assert [invoice.total for invoice in invoices(db_session, t)] == [0]
    sign_in_owner(client, t)
    assert "Your free trial ends on" in client.get("/portal/billing").get_data(as_text=True)

    t.advance(10.9)
    t.sync()
    assert t.mails("trial_ending") == 0
    t.advance(0.2)  # three days before the end
    t.sync(duplicate=True)
    assert t.mails("trial_ending") == 1

    t.advance(3)
    t.sync()
    db_session.expire_all()
    subscription = db_session.get(Subscription, t.tenant.stripe_subscription_id)
    assert subscription.status == "active" and t.tenant.billing_state == "active"
    assert [(i.total, i.status) for i in invoices(db_session, t)] == [(0, "paid"), (3509, "paid")]
    assert t.mails("dunning") == 0


def test_a_trial_without_a_payment_method_ends_in_the_unpaid_path(timeline, db_session, mails):
    t = timeline(trial=True, checkout=NO_PAYMENT_METHOD)
    assert t.tenant.billing_state == "active"
    t.advance(14.1)
    t.sync()
    assert t.tenant.billing_state == "past_due" and t.mails("dunning") == 1
    unpaid = invoices(db_session, t)[-1]
    assert (unpaid.total, unpaid.status) == (3509, "open")


def test_a_second_trial_for_the_same_email_is_refused_and_nothing_happens(client, db_session,
                                                                          stripe_fake):
    db_session.add(TrialClaim(email="again@example.com"))
    db_session.flush()
    url = "/signup?plan=starter&interval=month&trial=1"
    page = client.get(url).get_data(as_text=True)
    assert '<input checked id="trial" name="trial" type="checkbox"' in page
    response = client.post(url, data={
        "company": "Again BV", "subdomain": "again", "email": "Again@example.com",
        "password": "a long and happy password", "template": "corporate", "terms": "y",
        "trial": "y", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 422
    assert "This email address has had its free trial already." in response.get_data(as_text=True)
    assert db_session.scalar(select(Signup).where(Signup.subdomain == "again")) is None
    customers = fake_stripe(stripe_fake, "GET", "/v1/customers?email=again@example.com")
    assert customers["data"] == []


def test_a_card_that_had_a_trial_pays_at_once_with_another_email(timeline, db_session):
    first = timeline(trial=True)
    assert db_session.get(Subscription, first.tenant.stripe_subscription_id).status == "trialing"
    second = timeline(trial=True)  # the same test card, another address
    second.sync()
    subscription = db_session.get(Subscription, second.tenant.stripe_subscription_id)
    assert subscription.status == "active" and subscription.trial_end is not None
    assert [(i.total, i.status) for i in invoices(db_session, second)][-1] == (3509, "paid")
    claimed = db_session.get(TrialClaim, f"{second.subdomain}@example.com")
    assert claimed is not None and claimed.card_fingerprint is None
