"""POST /webhooks/stripe: the signed-request matrix, durable storage and fast answers."""

import json
import time

from sqlalchemy import func, select

from billing.signatures import sign
from db.models import StripeEvent
from worker.event_dispatch import catch_up
from worker.queues import BILLING

from support import WEBHOOK_SECRET, post_event, queued_job_ids, share_transaction, stripe_event


def count_events(session) -> int:
    return session.scalar(select(func.count()).select_from(StripeEvent))


def test_good_signature_is_stored_and_left_for_the_dispatcher(client, db_session, app):
    event = stripe_event("invoice.created", {"id": "in_1", "object": "invoice", "customer": "cus_1"})
    response = post_event(client, event)
    assert response.status_code == 200
    assert response.json == {"received": True, "duplicate": False}
    stored = db_session.get(StripeEvent, event["id"])
    assert stored.type == "invoice.created" and stored.customer_id == "cus_1"
    assert stored.processed_at is None and stored.attempts == 0
    assert queued_job_ids(app, BILLING) == []  # the commit notifies the dispatcher instead
    with app.app_context():
        assert catch_up() == [event["id"]]  # (what the dispatcher does on taking over)
    assert queued_job_ids(app, BILLING) == [f"stripe-event-{event['id']}"]


def test_rotated_secret_is_accepted(client, db_session):
    event = stripe_event("invoice.created", {"id": "in_2", "object": "invoice", "customer": "cus_2"})
    assert post_event(client, event, secret="whsec_test_previous").status_code == 200
    assert db_session.get(StripeEvent, event["id"]) is not None


def _bad(client, db_session, *, payload=None, header=None, omit_header=False):
    payload = payload if payload is not None else json.dumps(
        stripe_event("invoice.paid", {"id": "in_x", "object": "invoice", "customer": "cus_x"}))
    headers = {} if omit_header else {"Stripe-Signature": header or sign(payload, WEBHOOK_SECRET)}
    before = count_events(db_session)
    response = client.post("/webhooks/stripe", data=payload, content_type="application/json",
                           headers=headers)
    assert response.status_code == 400
    assert count_events(db_session) == before
    return response.json["error"]


def test_missing_signature(client, db_session):
    assert "missing" in _bad(client, db_session, omit_header=True)


def test_wrong_secret(client, db_session):
    payload = json.dumps(stripe_event("invoice.paid", {"id": "in_y", "object": "invoice"}))
    assert _bad(client, db_session, payload=payload, header=sign(payload, "whsec_someone_else"))


def test_malformed_header(client, db_session):
    assert "malformed" in _bad(client, db_session, header="t=abc,v1=zzz")


def test_stale_timestamp(client, db_session):
    payload = json.dumps(stripe_event("invoice.paid", {"id": "in_z", "object": "invoice"}))
    error = _bad(client, db_session, payload=payload,
                 header=sign(payload, WEBHOOK_SECRET, int(time.time()) - 301))
    assert "tolerance" in error


def test_future_timestamp(client, db_session):
    payload = json.dumps(stripe_event("invoice.paid", {"id": "in_f", "object": "invoice"}))
    error = _bad(client, db_session, payload=payload,
                 header=sign(payload, WEBHOOK_SECRET, int(time.time()) + 301))
    assert "future" in error


def test_non_json_body(client, db_session):
    assert "not JSON" in _bad(client, db_session, payload="this is not json")


def test_json_that_is_not_an_event(client, db_session):
    assert "not a Stripe event" in _bad(client, db_session, payload=json.dumps([1, 2, 3]))


def test_duplicate_delivery_is_a_no_op_answered_200(client, db_session, app):
    event = stripe_event("invoice.created", {"id": "in_3", "object": "invoice", "customer": "cus_3"})
    for _ in range(5):
        assert post_event(client, event).status_code == 200
    assert count_events(db_session) == 1
    assert post_event(client, event).json["duplicate"] is True
    with app.app_context():
        assert catch_up() == [event["id"]]


def test_no_csrf_token_needed_on_the_webhook_only(client, db_session):
    event = stripe_event("invoice.created", {"id": "in_4", "object": "invoice"})
    assert post_event(client, event).status_code == 200
    assert client.post("/signup?plan=starter", data={"company": "x"}).status_code == 400


def test_redis_down_still_stores_and_answers_200(app, make_app, db_session, redis):
    broken = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    share_transaction(broken, app)
    event = stripe_event("invoice.created", {"id": "in_5", "object": "invoice", "customer": "cus_5"})
    response = post_event(broken.test_client(), event)
    assert response.status_code == 200
    assert db_session.get(StripeEvent, event["id"]).processed_at is None
