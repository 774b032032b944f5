"""From the webhook to the billing queue through PostgreSQL: the insert's commit notifies, one
dispatcher listens and enqueues, a second takes over when the first ends, and nothing stored
while nobody listened, or while Redis was down, is forgotten. Committed for real (a second app),
cleaned up afterwards."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import delete

from db.models import StripeEvent
from worker.event_dispatch import Dispatcher
from worker.queues import BILLING
from worker.services import services

from support import post_event, stripe_event


@pytest.fixture
def committing(make_app, redis):
    """An app whose writes commit (as the web server's do); its events deleted afterwards."""
    other = make_app()
    dispatchers: list[Dispatcher] = []
    other.dispatcher = lambda: dispatchers.append(Dispatcher(other, retry_seconds=0.2).start()) \
        or dispatchers[-1]
    yield other
    for dispatcher in dispatchers:
        dispatcher.stop()
    with services(other).database.engine.begin() as connection:
        connection.execute(delete(StripeEvent).where(StripeEvent.id.like("evt_dispatch_%")))


def post(app, n: int = 1) -> list[str]:
    ids = []
    with app.test_client() as client:
        for _ in range(n):
            event = stripe_event("invoice.created", {"id": "in_d", "object": "invoice"})
            event["id"] = event["id"].replace("evt_", "evt_dispatch_")
            assert post_event(client, event).status_code == 200
            ids.append(event["id"])
    return ids


def queued(app) -> list[str]:
    return services(app).queues[BILLING].get_job_ids()


def wait_for(condition, what: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_an_event_is_enqueued_when_its_insert_commits(committing):
    dispatcher = committing.dispatcher()
    wait_for(dispatcher.listening.is_set, "the dispatcher to listen")
    [event_id] = post(committing)
    wait_for(lambda: queued(committing) == [f"stripe-event-{event_id}"], "the job")


def test_one_dispatcher_listens_and_the_other_takes_over(committing):
    first, second = committing.dispatcher(), committing.dispatcher()
    wait_for(lambda: first.listening.is_set() or second.listening.is_set(), "a listener")
    time.sleep(0.5)  # the other has tried the lock and waits
    assert first.listening.is_set() != second.listening.is_set()
    ids = post(committing, 20)
    wait_for(lambda: len(queued(committing)) >= 20, "20 jobs")
    time.sleep(0.2)
    assert sorted(queued(committing)) == sorted(f"stripe-event-{i}" for i in ids)  # once each

    leader, other = (first, second) if first.listening.is_set() else (second, first)
    leader.stop()
    services(committing).queues[BILLING].empty()
    [stored_meanwhile] = post(committing)  # nobody may be listening right now
    wait_for(other.listening.is_set, "the other dispatcher to take over")
    wait_for(lambda: f"stripe-event-{stored_meanwhile}" in queued(committing), "the catch-up")
    # The catch-up enqueues every event never tried: the 20 as well, which no job has run.
    [later] = post(committing)
    wait_for(lambda: f"stripe-event-{later}" in queued(committing), "the next event")


def test_events_stored_while_redis_is_down_are_enqueued_once_it_is_back(committing,
                                                                         redis_server):
    dispatcher = committing.dispatcher()
    wait_for(dispatcher.listening.is_set, "the dispatcher to listen")
    redis_server.stop()
    try:
        started = time.monotonic()
        ids = post(committing, 3)  # answered without Redis
        assert time.monotonic() - started < 5
        time.sleep(0.5)  # the dispatcher heard them, failed to enqueue, and starts again
    finally:
        redis_server.start()
    wait_for(lambda: sorted(queued(committing)) == sorted(f"stripe-event-{i}" for i in ids),
             "the events stored during the outage")
