"""An unpaid signup holds its subdomain for an hour: then the periodic job expires it (and its
Checkout Session at Stripe) and the name is free. The same email and password resume it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import stripe
from freezegun import freeze_time
from sqlalchemy import func, select

from billing.checkout import price_id
from db.models import Signup, Subdomain
from worker.jobs.signups import expire_unpaid_signups
from worker.schedule import PERIODIC
from worker.services import services

from support import BILLING_NL, csrf_token, http, run_jobs

PASSWORD = "flour and water at dawn"


def submit(client, email="ida@blum.example", password=PASSWORD, plan="starter"):
    url = f"/signup?plan={plan}&interval=month"
    return client.post(url, data={
        "company": "Bakery Blum", "subdomain": "bakery-blum", "email": email,
        "password": password, "template": "corporate", "terms": "y",
        "csrf_token": csrf_token(client, url)})


def stripe_get(stripe_fake, path, **params):
    return http.get(f"{stripe_fake.url}/v1/{path}", params=params,
                    headers={"Authorization": "Bearer sk_test_suite"}).json()


def checkout(stripe_fake, session_id):
    return stripe_get(stripe_fake, f"checkout/sessions/{session_id}")


def expire_job(app):
    with app.app_context():
        return expire_unpaid_signups()


def the_signup(db_session) -> Signup:
    db_session.expire_all()
    return db_session.scalar(select(Signup).order_by(Signup.created_at.desc()))


def test_stripe_is_told_when_the_reservation_ends(client, db_session, stripe_fake):
    assert submit(client).status_code == 303
    signup = the_signup(db_session)
    assert timedelta(minutes=59) < signup.expires_at - signup.created_at <= timedelta(minutes=61)
    session = checkout(stripe_fake, signup.checkout_session_id)
    assert session["expires_at"] == int(signup.expires_at.timestamp())


def test_an_unpaid_reservation_ends_after_an_hour(app, client, db_session, stripe_fake, redis):
    submit(client)
    signup = the_signup(db_session)
    with freeze_time(signup.created_at + timedelta(minutes=59)):
        assert expire_job(app) == 0
    assert the_signup(db_session).status == "pending"
    with freeze_time(signup.expires_at + timedelta(seconds=1)):
        assert expire_job(app) == 1
    signup = the_signup(db_session)
    assert signup.status == "expired" and db_session.get(Subdomain, "bakery-blum") is None
    assert checkout(stripe_fake, signup.checkout_session_id)["status"] == "expired"
    page = client.get(f"/onboarding/{signup.id}").get_data(as_text=True)
    assert "not finished within the hour. Nothing was charged" in page
    # The name is free for someone else now.
    with freeze_time(signup.expires_at + timedelta(minutes=1)):
        assert submit(client, email="someone@else.example",
                      password="another fine passphrase").status_code == 303
    assert db_session.get(Subdomain, "bakery-blum").signup_id != signup.id


def test_a_checkout_paid_before_the_job_runs_keeps_its_name(app, client, db_session, stripe_fake,
                                                            forwarder):
    submit(client)
    signup = the_signup(db_session)
    paid = http.post(f"{stripe_fake.url}/_test/checkout/sessions/{signup.checkout_session_id}/pay",
                     data={"card": "4242424242424242", **BILLING_NL})
    assert paid.status_code == 200
    # The webhook is late: the signup is still pending when its hour is over.
    with freeze_time(signup.expires_at + timedelta(minutes=5)):
        assert expire_job(app) == 0
    signup = the_signup(db_session)
    assert signup.status == "pending" and db_session.get(Subdomain, "bakery-blum") is not None
    forwarder.forward(client)
    run_jobs(app, ["billing"])
    assert the_signup(db_session).status == "paid"


def test_stripe_already_expired_it_and_the_job_agrees(app, client, db_session, stripe_fake):
    submit(client)
    signup = the_signup(db_session)
    http.post(f"{stripe_fake.url}/v1/checkout/sessions/{signup.checkout_session_id}/expire",
              headers={"Authorization": "Bearer sk_test_suite"})
    with freeze_time(signup.expires_at + timedelta(seconds=1)):
        assert expire_job(app) == 1
    assert the_signup(db_session).status == "expired"


def test_the_same_email_and_password_resume_an_expired_signup(app, client, db_session,
                                                              stripe_fake, redis):
    submit(client)
    first = the_signup(db_session)
    old_session, old_end = first.checkout_session_id, first.expires_at
    customer = first.stripe_customer_id
    with freeze_time(old_end + timedelta(seconds=1)):
        expire_job(app)
    assert the_signup(db_session).status == "expired"
    with freeze_time(old_end + timedelta(minutes=30)):
        again = submit(client)
        assert again.status_code == 303
        signup = the_signup(db_session)
        assert signup.id == first.id and signup.status == "pending"
        assert db_session.scalar(select(func.count()).select_from(Signup)) == 1
        assert db_session.get(Subdomain, "bakery-blum").signup_id == first.id
        assert signup.checkout_session_id != old_session
        assert again.headers["Location"] == signup.checkout_url
        assert checkout(stripe_fake, signup.checkout_session_id)["status"] == "open"
        # A new hour from now, and the Stripe Customer of the first try is reused.
        assert signup.expires_at > old_end + timedelta(minutes=30)
        assert signup.stripe_customer_id == customer
        assert checkout(stripe_fake, signup.checkout_session_id)["customer"] == customer


def test_another_password_for_an_expired_signup_starts_a_new_one(app, client, db_session,
                                                                 stripe_fake, redis):
    submit(client)
    first = the_signup(db_session)
    with freeze_time(first.expires_at + timedelta(seconds=1)):
        expire_job(app)
        assert submit(client, password="not the same passphrase").status_code == 303
    db_session.expire_all()
    assert db_session.get(Subdomain, "bakery-blum").signup_id != first.id
    assert db_session.get(Signup, first.id).status == "expired"


def test_a_resume_near_the_end_gets_a_fresh_checkout(client, db_session, stripe_fake):
    submit(client)
    first = the_signup(db_session)
    old_session, old_end = first.checkout_session_id, first.expires_at
    with freeze_time(first.created_at + timedelta(minutes=10)):
        submit(client)  # plenty of time left: the same Checkout
    assert the_signup(db_session).checkout_session_id == old_session
    with freeze_time(first.created_at + timedelta(minutes=50)):
        submit(client)
    signup = the_signup(db_session)
    assert signup.checkout_session_id != old_session and signup.expires_at > old_end
    assert checkout(stripe_fake, old_session)["status"] == "expired"


def test_the_job_is_scheduled():
    assert expire_unpaid_signups in [job for job, _seconds in PERIODIC]


@pytest.mark.parametrize("minutes", [10, 25 * 60])
def test_the_local_stripe_keeps_stripes_expiry_bounds(app, stripe_fake, minutes):
    client = services(app).stripe
    with pytest.raises(stripe.InvalidRequestError, match="between 30 minutes and 24 hours"):
        client.v1.checkout.sessions.create(params={
            "mode": "subscription", "success_url": "http://localhost/x",
            "line_items": [{"price": price_id(client, "starter_monthly"), "quantity": 1}],
            "expires_at": int(time.time()) + minutes * 60})
