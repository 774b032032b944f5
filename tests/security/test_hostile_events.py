"""Correctly signed but malformed Stripe events, as classes: every envelope the webhook cannot
store is a 400 with a one-line reason and leaves nothing behind; every stored event the worker
cannot read is marked failed with the reason, never a crash and never retried; and a
generator of event shapes (hypothesis) finds no 500 and no unhandled error in the worker."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from billing.signatures import sign
from db.models import Invoice, StripeEvent, Subscription
from worker.jobs.billing import process_event, sweep_events
from worker.queues import BILLING

from support import WEBHOOK_SECRET, invoice, post_event, queued_job_ids, run_jobs, stripe_event


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def deliver(client, body: str):
    """A body signed with the real secret: only its shape is hostile."""
    return client.post("/webhooks/stripe", data=body.encode("utf-8", "surrogatepass"),
                       content_type="application/json",
                       headers={"Stripe-Signature": sign(body, WEBHOOK_SECRET)})


def base(**changes) -> dict:
    event = stripe_event("invoice.created", {"id": "in_hostile", "object": "invoice",
                                             "customer": "cus_hostile"})
    event.update(changes)
    return event


def without(key: str) -> dict:
    event = base()
    del event[key]
    return event


def nested(levels: int) -> str:
    head = json.dumps(base())[:-1]  # without the closing brace
    return head + ', "extra": ' + "[" * levels + "]" * levels + "}"


MALFORMED = {
    "5000-character id": (json.dumps(base(id="evt_" + "a" * 4996)), "id must be"),
    "NUL byte in the id": (json.dumps(base(id="evt_abc\u0000def")), "id must be"),
    "id rq refuses as a job id": (json.dumps(base(id="evt_a:b/c d")), "id must be"),
    "id not a string": (json.dumps(base(id=12345)), "id must be"),
    "no id": (json.dumps(without("id")), "id must be"),
    "id of another object": (json.dumps(base(id="in_123")), "id must be"),
    "type not a string": (json.dumps(base(type=["invoice.paid"])), "type must be"),
    "no type": (json.dumps(without("type")), "type must be"),
    "type of 81 characters": (json.dumps(base(type="a" * 81)), "type must be"),
    "created as text": (json.dumps(base(created="yesterday")), "created must be"),
    "created as a fraction": (json.dumps(base(created=1.5)), "created must be"),
    "created beyond 2106": (json.dumps(base(created=10**20)), "created must be"),
    "created true": (json.dumps(base(created=True)), "created must be"),
    "no data": (json.dumps(without("data")), "data.object must be"),
    "data a list": (json.dumps(base(data=[{"object": {}}])), "data.object must be"),
    "data.object a list": (json.dumps(base(data={"object": [1, 2]})), "data.object must be"),
    "data.object a string": (json.dumps(base(data={"object": "in_1"})), "data.object must be"),
    "no data.object": (json.dumps(base(data={})), "data.object must be"),
    "5000-character customer": (
        json.dumps(base(data={"object": {"id": "in_1", "customer": "cus_" + "x" * 4996}})),
        "customer must be"),
    "customer a number": (json.dumps(base(data={"object": {"id": "in_1", "customer": 7}})),
                          "customer must be"),
    "customer object with a numeric id": (
        json.dumps(base(data={"object": {"object": "customer", "id": 42}})), "customer must be"),
    "NUL byte deep inside": (
        json.dumps(base(data={"object": {"id": "in_1", "description": "a\u0000b"}})), "NUL"),
    "lone surrogate": (json.dumps(base(data={"object": {"id": "in_1", "note": "\ud800"}})),
                       "surrogate"),
    "NaN": (json.dumps(base())[:-1] + ', "amount": NaN}', "not JSON"),
    "Infinity": (json.dumps(base())[:-1] + ', "amount": -Infinity}', "not JSON"),
    "10000 levels deep": (nested(10_000), "nested too deeply"),
    "40 levels deep": (nested(40), "nested more than 32 levels"),
    "a list": ("[1, 2, 3]", "not a Stripe event"),
    "a string": ('"evt_123"', "not a Stripe event"),
    "null": ("null", "not a Stripe event"),
    "a number too long to read": ('{"id": "evt_1", "n": ' + "9" * 5000 + "}", "not JSON"),
    "a number PostgreSQL cannot hold": (json.dumps(base())[:-1] + ', "amount": 1e999999}',
                                        "cannot be stored"),
}


@pytest.mark.parametrize("body,reason", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_signed_event_is_a_400_with_one_line_and_leaves_nothing(
        app, client, db_session, redis, body, reason):
    before = count(db_session, StripeEvent)
    response = deliver(client, body)
    assert response.status_code == 400 and response.is_json
    error = response.get_json()["error"]
    assert reason in error and "\n" not in error and len(error) < 200
    assert count(db_session, StripeEvent) == before
    assert queued_job_ids(app, BILLING) == []
    # The same connection still works: nothing was left half-written in a broken transaction.
    assert post_event(client, base()).status_code == 200
    assert count(db_session, StripeEvent) == before + 1


# Stored events whose object the handlers cannot read: failed at once, with the reason

def good_invoice(**changes) -> dict:
    return {**invoice("cus_worker", "sub_worker", signup_id=""), **changes}


UNREADABLE = {
    "invoice without an id": ("invoice.paid", {**good_invoice(), "id": None},
                              "data.object.id is missing"),
    "invoice without a customer": ("invoice.paid", {**good_invoice(), "customer": None},
                                   "data.object.customer is missing"),
    "amount as text": ("invoice.payment_failed", good_invoice(amount_due="lots"),
                       "data.object.amount_due must be a whole number"),
    "attempt count beyond an integer": ("invoice.payment_failed",
                                        good_invoice(attempt_count=2**40),
                                        "data.object.attempt_count must be a whole number"),
    "status too long for its column": ("invoice.created", good_invoice(status="x" * 200),
                                       "data.object.status must be text"),
    "parent a list": ("invoice.paid", good_invoice(parent=[1]),
                      "data.object.parent must be a JSON object"),
    "paid_at in the year 3 million": (
        "invoice.paid", good_invoice(status_transitions={"paid_at": 10**14}),
        "data.object.status_transitions.paid_at must be a whole number"),
    "checkout metadata a list": ("checkout.session.completed",
                                 {"id": "cs_test_1", "customer": "cus_worker", "metadata": ["x"]},
                                 "data.object.metadata must be a JSON object"),
    "checkout subscription an object without id": (
        "checkout.session.completed",
        {"id": "cs_test_1", "customer": "cus_worker", "subscription": {"status": "active"}},
        "data.object.subscription must be a Stripe id"),
    "subscription id with a slash": ("customer.subscription.updated",
                                     {"id": "sub_1/../../customers", "customer": "cus_worker"},
                                     "data.object.id must be a Stripe id"),
    "subscription Stripe does not know": ("customer.subscription.deleted",
                                          {"id": "sub_nobodyhasthis", "customer": "cus_worker"},
                                          "No such subscription"),
}


@pytest.mark.parametrize("event_type,obj,reason", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_event_the_worker_cannot_read_is_failed_with_the_reason(
        app, client, db_session, redis, stripe_fake, event_type, obj, reason):
    event = stripe_event(event_type, obj)
    assert post_event(client, event).status_code == 200
    run_jobs(app)
    row = db_session.get(StripeEvent, event["id"])
    db_session.refresh(row)
    assert row.failed_at is not None and row.processed_at is None
    assert row.attempts == 1 and reason in row.last_error  # final at once: no retries
    assert db_session.scalar(select(func.count()).select_from(Invoice)
                             .where(Invoice.customer_id == "cus_worker")) == 0
    assert db_session.scalar(select(func.count()).select_from(Subscription)
                             .where(Subscription.customer_id == "cus_worker")) == 0
    listed = app.test_cli_runner().invoke(args=["events", "failed"])
    assert event["id"] in listed.output and reason in listed.output


def store_raw(db_session, event_id: str, payload) -> None:
    """A row as an older version of the webhook may have stored it (before intake checks)."""
    db_session.execute(text(
        "INSERT INTO stripe_events (id, type, customer_id, created, payload, attempts) "
        "VALUES (:id, 'invoice.paid', NULL, now(), CAST(:payload AS jsonb), 0)"),
        {"id": event_id, "payload": json.dumps(payload)})
    db_session.commit()


@pytest.mark.parametrize("payload,reason", [
    ({"id": "evt_old1", "type": "invoice.paid", "created": 1, "data": {"object": [1]}},
     "data.object must be"),
    ({"id": "evt_old2", "type": "invoice.paid", "created": 1}, "data.object must be"),
    ({"id": "evt_old3", "type": 5, "created": 1, "data": {"object": {}}}, "type must be"),
], ids=["data.object a list", "no data", "type a number"])
def test_a_malformed_row_stored_earlier_is_failed_not_a_crash(app, db_session, redis, payload,
                                                              reason):
    store_raw(db_session, payload["id"], payload)
    with app.app_context():
        assert process_event(payload["id"]) == "failed"
    row = db_session.get(StripeEvent, payload["id"])
    db_session.refresh(row)
    assert row.failed_at is not None and reason in row.last_error


def test_a_stored_id_rq_refuses_does_not_stop_the_sweep(app, db_session, redis):
    store_raw(db_session, "evt_bad:id", {"id": "evt_bad:id"})
    store_raw(db_session, "evt_fine", {"id": "evt_fine", "type": "invoice.created",
                                       "created": 1, "data": {"object": {"id": "in_ok",
                                                                         "customer": "cus_ok"}}})
    db_session.execute(text("UPDATE stripe_events SET received_at = now() - interval '1 hour' "
                            "WHERE id IN ('evt_bad:id', 'evt_fine')"))
    db_session.commit()
    with app.app_context():
        sweep_events()
    queued = queued_job_ids(app, BILLING)
    assert "stripe-event-evt_fine" in queued and not any("bad" in job for job in queued)
    bad = db_session.get(StripeEvent, "evt_bad:id")
    db_session.refresh(bad)
    assert bad.failed_at is not None and "cannot be queued" in bad.last_error


# Generated shapes: never a 500, and what is stored is handled or failed with a reason

HANDLED = ["checkout.session.completed", "checkout.session.expired",
           "customer.subscription.created", "customer.subscription.updated",
           "customer.subscription.deleted", "invoice.paid", "invoice.payment_failed",
           "invoice.created", "invoice.finalized", "invoice.payment_succeeded"]
ODD_TEXT = st.sampled_from(["", "\x00", "a\x00b", "\ud800", "evt_a:b", "evt_" + "a" * 300,
                            "x" * 600, "é", "../../v1/customers", "cus_" + "z" * 70])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
                    ODD_TEXT)
ANY_JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)


def ids(prefix: str):
    return st.from_regex(rf"{prefix}[A-Za-z0-9]{{1,20}}", fullmatch=True)


def either(plausible):
    """Mostly plausible values, sometimes anything at all."""
    return st.integers(0, 4).flatmap(lambda n: ANY_JSON if n == 4 else plausible)


def some_of(fields: dict, drop: int):
    """An object with these fields; one time in four, up to ``drop`` of them left out."""
    left_out = st.integers(0, 3).flatmap(
        lambda n: st.sets(st.sampled_from(sorted(fields)), max_size=drop) if n == 3
        else st.just(set()))
    return st.tuples(st.fixed_dictionaries(fields), left_out).map(
        lambda pair: {key: value for key, value in pair[0].items() if key not in pair[1]})


CUSTOMER = either(ids("cus_") | st.fixed_dictionaries({"id": ids("cus_")}))
OBJECT = some_of({
    "id": either(ids("in_") | ids("sub_") | ids("cs_test_")),
    "object": either(st.sampled_from(["invoice", "subscription", "checkout.session", "customer"])),
    "customer": CUSTOMER,
    "subscription": either(ids("sub_") | st.fixed_dictionaries({"id": ids("sub_")})),
    "metadata": either(some_of({"signup_id": either(st.uuids().map(str))}, 1)),
    "client_reference_id": either(st.text(max_size=40)),
    "parent": either(st.fixed_dictionaries({"subscription_details": either(some_of(
        {"subscription": either(ids("sub_")), "metadata": either(st.just({}))}, 2))})),
    "status": either(st.sampled_from(["paid", "open", "draft", "void"])),
    "amount_due": either(st.integers(0, 10**6)),
    "attempt_count": either(st.integers(0, 10)),
    "created": either(st.integers(0, 2**32 - 1)),
    "status_transitions": either(some_of({"paid_at": either(st.integers(0, 2**31))}, 1)),
    "hosted_invoice_url": either(st.just("https://invoice.stripe.com/i/x")),
    "currency": either(st.just("eur")),
}, drop=6)
EVENTS = some_of({
    "id": either(ids("evt_")),
    "type": either(st.sampled_from(HANDLED + ["customer.created", "charge.refunded"])),
    "created": either(st.integers(0, 2**32 - 1)),
    "data": either(some_of({"object": either(OBJECT)}, 1)),
    "object": st.just("event"),
}, drop=1)


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(event=EVENTS)
def test_generated_event_shapes_never_500_and_never_crash_the_worker(app, client, db_session,
                                                                      redis, stripe_fake, event):
    before = count(db_session, StripeEvent)
    response = deliver(client, json.dumps(event))
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
    if response.status_code == 400:
        error = response.get_json()["error"]
        assert error and "\n" not in error
        assert count(db_session, StripeEvent) == before
        return
    row = db_session.get(StripeEvent, event["id"])
    assert row is not None
    with app.app_context():
        process_event(event["id"])  # raises nothing
    db_session.refresh(row)
    assert row.processed_at is not None or (row.failed_at is not None and row.last_error)
