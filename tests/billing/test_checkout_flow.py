"""From the signup form through the local Stripe's hosted Checkout to processed events."""

import itertools
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from billing import events as billing_events
from billing import handlers
from db.base import utcnow
from db.models import Signup, StripeEvent, Subdomain, Subscription, Tenant

from support import BILLING_NL, csrf_token, http, post_event, run_jobs, stripe_event

CARD_OK, CARD_DECLINED = "4242 4242 4242 4242", "4000 0000 0000 0341"


def sign_up(client, db_session, subdomain, plan="starter", interval="month", email=None):
    url = f"/signup?plan={plan}&interval={interval}"
    response = client.post(url, data={
        "company": f"Company {subdomain}", "subdomain": subdomain,
        "email": email or f"{subdomain}@example.com", "password": "a long and happy password",
        "template": "corporate", "terms": "y", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 303
    return db_session.scalar(select(Signup).where(Signup.subdomain == subdomain))


def pay_on_hosted_page(signup, card=CARD_OK):
    return http.post(signup.checkout_url, data={"card": card, **BILLING_NL},
                     follow_redirects=False)


def test_paid_checkout_becomes_a_live_tenant(app, client, db_session, forwarder, mails):
    signup = sign_up(client, db_session, "flow-paid")
    page = http.get(signup.checkout_url)
    assert page.status_code == 200 and "€29" in page.text
    paid = pay_on_hosted_page(signup)
    assert paid.status_code == 303
    success = paid.headers["Location"]
    assert success.startswith("http://localhost/onboarding/")
    assert f"session_id={signup.checkout_session_id}" in success
    onboarding_path = success.removeprefix("http://localhost")

    # The browser is back before the webhook: the page says it is waiting.
    waiting = client.get(onboarding_path).get_data(as_text=True)
    assert "Waiting for the payment confirmation" in waiting

    forwarded = forwarder.forward(client)
    assert {"checkout.session.completed", "customer.subscription.created", "invoice.paid"} <= {
        e["type"] for e in forwarded}
    run_jobs(app)

    stored = db_session.scalars(select(StripeEvent).where(
        StripeEvent.id.in_([e["id"] for e in forwarded]))).all()
    assert len(stored) == len(forwarded) and all(e.processed_at for e in stored)
    db_session.expire_all()
    assert signup.status == "ready" and signup.stripe_subscription_id.startswith("sub_")
    mirror = db_session.get(Subscription, signup.stripe_subscription_id)
    assert mirror.status == "active" and mirror.plan_id == "starter" and mirror.interval == "month"
    assert mirror.current_period_end > utcnow() + timedelta(days=27)
    tenant = db_session.scalar(select(Tenant).where(Tenant.signup_id == signup.id))
    assert tenant.provisioning_state == "active" and tenant.stripe_customer_id == signup.stripe_customer_id

    ready = client.get(onboarding_path)
    assert "Your site is live" in ready.get_data(as_text=True)
    status = client.get(onboarding_path.split("?")[0] + "/status").json
    assert status["ready"] and [s["status"] for s in status["stages"]] == ["done"] * 5
    enter = client.post(onboarding_path.split("?")[0] + "/enter",
                        data={"csrf_token": csrf_token(client, onboarding_path)})
    assert enter.headers["Location"] == "/portal/"
    assert "Company flow-paid" in client.get("/portal/").get_data(as_text=True)
    assert len(mails.emails) == 1


def test_checkout_and_stripes_own_mails_speak_the_language_of_the_signup(app, client, db_session):
    from worker.services import services

    client.set_cookie("lang", "nl")
    dutch = sign_up(client, db_session, "flow-dutch")
    client.set_cookie("lang", "en")
    english = sign_up(client, db_session, "flow-english")
    stripe = services(app).stripe
    for signup, language in ((dutch, "nl"), (english, "en")):
        assert signup.language == language
        assert stripe.v1.checkout.sessions.retrieve(signup.checkout_session_id).locale == language
        customer = stripe.v1.customers.retrieve(signup.stripe_customer_id)
        assert customer.preferred_locales == [language]


def test_declined_card_changes_nothing(client, db_session, forwarder):
    signup = sign_up(client, db_session, "flow-declined")
    declined = pay_on_hosted_page(signup, CARD_DECLINED)
    assert declined.status_code == 402 and "Your card was declined." in declined.text
    assert not [e for e in forwarder.forward(client) if e["type"].startswith("invoice.")]
    db_session.expire_all()
    assert signup.status == "pending"


def test_expired_checkout_releases_the_subdomain(app, client, db_session, forwarder, stripe_fake):
    signup = sign_up(client, db_session, "flow-expired")
    http.post(f"{stripe_fake.url}/v1/checkout/sessions/{signup.checkout_session_id}/expire",
               headers={"Authorization": "Bearer sk_test_suite"})
    forwarder.forward(client)
    run_jobs(app)
    db_session.expire_all()
    assert signup.status == "expired"
    assert db_session.get(Subdomain, "flow-expired") is None
    # The name is free again for the next person (the same person would resume their signup).
    sign_up(client, db_session, "flow-expired", email="next@example.com")
    assert db_session.get(Subdomain, "flow-expired").signup_id != signup.id


KEY_EVENTS = ("customer.subscription.created", "invoice.paid", "checkout.session.completed")


@pytest.mark.parametrize("order", list(itertools.permutations(KEY_EVENTS)))
def test_every_order_of_a_signups_events_ends_the_same(app, client, db_session, forwarder,
                                                       mails, order):
    subdomain = "order-" + "-".join(t.split(".")[-1][:4] for t in order)
    signup = sign_up(client, db_session, subdomain)
    pay_on_hosted_page(signup)

    def reorder(events):
        rank = {t: i for i, t in enumerate(order)}
        return sorted(events, key=lambda e: rank.get(e["type"], len(order)))

    for _ in forwarder.forward(client, order=reorder):
        run_jobs(app)  # process one at a time, in exactly this order
    run_jobs(app)
    db_session.expire_all()
    tenant = db_session.scalar(select(Tenant).where(Tenant.signup_id == signup.id))
    assert signup.status == "ready" and tenant.provisioning_state == "active"
    assert tenant.stripe_subscription_id == signup.stripe_subscription_id
    assert db_session.get(Subscription, signup.stripe_subscription_id).status == "active"
    assert len(mails.emails) == 1


def test_a_stale_payload_never_overwrites_current_state(app, client, db_session, forwarder):
    signup = sign_up(client, db_session, "flow-stale")
    pay_on_hosted_page(signup)
    events = forwarder.forward(client)
    run_jobs(app)
    created = next(e for e in events if e["type"] == "customer.subscription.created")
    stale = stripe_event("customer.subscription.updated",
                         {**created["data"]["object"], "status": "incomplete"},
                         created=created["created"] - 60)
    post_event(client, stale)
    run_jobs(app)
    db_session.expire_all()
    assert db_session.get(Subscription, signup.stripe_subscription_id).status == "active"


def test_redis_down_during_delivery_then_the_sweep_processes_it(app, client, db_session,
                                                                 redis_server, forwarder):
    signup = sign_up(client, db_session, "flow-redis")
    pay_on_hosted_page(signup)
    redis_server.stop()
    try:
        events = forwarder.forward(client)  # every delivery still answered 200
    finally:
        redis_server.start()
    assert all(db_session.get(StripeEvent, e["id"]).processed_at is None for e in events)
    from worker.jobs.billing import sweep_events

    with freeze_time(utcnow() + timedelta(minutes=1)), app.app_context():
        assert sweep_events() == len(events)
    run_jobs(app)
    db_session.expire_all()
    assert all(db_session.get(StripeEvent, e["id"]).processed_at for e in events)
    assert signup.status == "ready"


def sweep_later(app, minutes):
    """The periodic sweep as it runs ``minutes`` from now, then the jobs it enqueued."""
    from worker.jobs.billing import sweep_events

    with freeze_time(utcnow() + timedelta(minutes=minutes)), app.app_context():
        sweep_events()
    run_jobs(app)


def test_handler_failing_twice_then_succeeding(app, client, db_session, forwarder, monkeypatch):
    signup = sign_up(client, db_session, "flow-flaky")
    pay_on_hosted_page(signup)
    real, calls = handlers.invoice_paid, []

    def flaky(session, deps, obj, outcome):
        calls.append(obj["id"])
        if len(calls) <= 2:
            raise ConnectionError("database hiccup")
        return real(session, deps, obj, outcome)

    monkeypatch.setattr(handlers, "invoice_paid", flaky)
    events = forwarder.forward(client)
    run_jobs(app)
    for minutes in (1, 3):  # each failure waits for its backoff, then the sweep tries again
        sweep_later(app, minutes)
    paid = next(e for e in events if e["type"] == "invoice.paid")
    stored = db_session.get(StripeEvent, paid["id"])
    db_session.refresh(stored)
    assert len(calls) == 3
    assert stored.processed_at is not None and stored.attempts == 3 and stored.failed_at is None
    db_session.expire_all()
    assert signup.status == "ready"


def test_handler_failing_every_time_is_visibly_failed_and_rerunnable(app, client, db_session,
                                                                      forwarder, monkeypatch):
    signup = sign_up(client, db_session, "flow-broken")
    pay_on_hosted_page(signup)

    def broken(session, deps, obj, outcome):
        raise ValueError("cannot read this invoice")

    monkeypatch.setattr(handlers, "invoice_paid", broken)
    events = forwarder.forward(client)
    run_jobs(app)
    for hours in range(1, 8):  # past every backoff (30 s doubling) of the 8 attempts
        sweep_later(app, 60 * hours)
    paid = next(e for e in events if e["type"] == "invoice.paid")
    failed = billing_events.failed(db_session)
    assert [e.id for e in failed] == [paid["id"]]
    assert failed[0].attempts == 8 and "cannot read this invoice" in failed[0].last_error

    monkeypatch.undo()
    result = app.test_cli_runner().invoke(args=["events", "retry", paid["id"]])
    assert result.exit_code == 0, result.output
    run_jobs(app)
    db_session.expire_all()
    assert db_session.get(StripeEvent, paid["id"]).processed_at is not None
    assert signup.status == "ready"
