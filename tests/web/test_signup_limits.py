"""Signups per client address and per email are limited (a moving window in the real Redis):
past the limit the form answers 429 with a clear message and Retry-After, and nothing is
reserved at Stripe or in the database."""

from __future__ import annotations

from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import func, select

from db.base import utcnow
from db.models import Signup, Subdomain

from support import csrf_token, http, share_transaction

PASSWORD = "flour and water at dawn"


def submit(client, n, email=None, address="203.0.113.7"):
    url = "/signup?plan=starter&interval=month"
    return client.post(url, environ_overrides={"REMOTE_ADDR": address}, data={
        "company": f"Bakery {n}", "subdomain": f"bakery-{n}",
        "email": email or f"baker{n}@blum.example", "password": PASSWORD,
        "template": "corporate", "terms": "y", "csrf_token": csrf_token(client, url)})


def customers(stripe_fake, email):
    return http.get(f"{stripe_fake.url}/v1/customers", params={"email": email},
                    headers={"Authorization": "Bearer sk_test_suite"}).json()["data"]


def signups(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Signup))


def test_a_sixth_signup_from_one_address_within_ten_minutes_is_refused(client, db_session,
                                                                      stripe_fake):
    start = utcnow()
    with freeze_time(start) as clock:
        for n in range(5):
            assert submit(client, n).status_code == 303
            clock.tick(60)
        refused = submit(client, 5)
        page = refused.get_data(as_text=True)
        assert refused.status_code == 429
        assert "Too many signups were sent from your network" in page
        assert "Nothing was reserved or charged" in page
        assert 'value="bakery-5"' in page  # the form keeps what was typed
        # The oldest signup leaves the window ten minutes after it was sent (Redis keeps the
        # entries' times to a fraction of a second, so the answer may round up by one).
        assert int(refused.headers["Retry-After"]) in (600 - 5 * 60, 600 - 5 * 60 + 1)
        assert signups(db_session) == 5 and db_session.get(Subdomain, "bakery-5") is None
        assert customers(stripe_fake, "baker5@blum.example") == []
        # Another address is not affected.
        assert submit(client, 6, address="198.51.100.20").status_code == 303

    with freeze_time(start + timedelta(minutes=10, seconds=1)):
        assert submit(client, 5).status_code == 303


def test_a_fourth_signup_for_one_email_within_an_hour_is_refused(client, db_session, stripe_fake):
    start = utcnow()
    with freeze_time(start):
        for n in range(3):
            assert submit(client, n, email="ida@blum.example",
                          address=f"192.0.2.{n + 1}").status_code == 303
        refused = submit(client, 3, email="IDA@blum.example", address="192.0.2.99")
        assert refused.status_code == 429
        assert "Too many signups were sent for this email address" in refused.get_data(as_text=True)
        assert 0 < int(refused.headers["Retry-After"]) <= 3600
        assert signups(db_session) == 3
    with freeze_time(start + timedelta(hours=1, seconds=1)):
        assert submit(client, 3, email="ida@blum.example", address="192.0.2.99").status_code == 303


def test_a_form_with_mistakes_does_not_count(client, db_session, stripe_fake):
    url = "/signup?plan=starter&interval=month"
    for _ in range(8):
        wrong = client.post(url, data={"company": "Bakery", "subdomain": "ab",
                                       "email": "ida@blum.example", "password": PASSWORD,
                                       "template": "corporate", "terms": "y",
                                       "csrf_token": csrf_token(client, url)})
        assert wrong.status_code == 422
    assert submit(client, 1, email="ida@blum.example").status_code == 303


def test_the_limits_are_settings(make_app, app, db_session, redis, stripe_fake):
    strict = make_app(SIGNUP_LIMIT_PER_ADDRESS="1 per hour")
    share_transaction(strict, app)
    browser = strict.test_client()
    assert submit(browser, 1).status_code == 303
    assert submit(browser, 2).status_code == 429


def test_with_redis_down_signups_still_go_through(client, db_session, redis_server, stripe_fake):
    redis_server.stop()
    try:
        response = submit(client, 1)
    finally:
        redis_server.start()
    assert response.status_code == 303 and signups(db_session) == 1
