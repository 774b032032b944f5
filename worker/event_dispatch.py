"""Stripe events from the webhook to the billing queue, woken by PostgreSQL.

The webhook only verifies and stores an event; a trigger (migration 0025) sends its id on the
channel ``billing.events.CHANNEL`` when the insert commits. A dispatcher listens there and
enqueues what it hears, a few milliseconds' worth at a time in one pipelined round trip.

Every billing worker runs one in a thread (``contyzr worker --queue billing``); only the holder
of an advisory lock on its own connection listens, the others try again every few seconds, so
one takes over when the listener's process ends. On taking the lock, and again after any
database or Redis error, the dispatcher first enqueues every stored event never tried
(``billing.events.waiting``): an event stored while nobody listened, or whose enqueue failed,
is not forgotten. The periodic sweep (``worker.jobs.billing.sweep_events``) stays the last net.
"""

from __future__ import annotations

import logging
import threading

import psycopg
from flask import Flask
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from billing import events
from worker.context import job_session, queues
from worker.jobs.billing import enqueue_events
from worker.services import services

log = logging.getLogger(__name__)
LOCK_KEY = 7461003  # the advisory lock of the one listening dispatcher (migrations hold 7461002)
BATCH_SECONDS = 0.005  # after a first id, how long to gather more before enqueueing them together
RETRY_SECONDS = 5.0


def catch_up() -> list[str]:
    """Enqueue every stored event never tried; their ids. Inside an app context."""
    enqueued, after = [], None
    with job_session() as session:
        while batch := events.waiting(session, after):
            ids = [event_id for _, event_id in batch]
            enqueue_events(queues(), ids)
            enqueued, after = enqueued + ids, batch[-1]
    return enqueued


def _dsn() -> str:
    url = services().database.engine.url
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class Dispatcher:
    def __init__(self, app: Flask, retry_seconds: float = RETRY_SECONDS):
        self.app, self.retry_seconds = app, retry_seconds
        self.stopped = threading.Event()
        self.listening = threading.Event()  # this one holds the lock and listens
        self.thread = threading.Thread(target=self.run, name="event-dispatch", daemon=True)

    def start(self) -> Dispatcher:
        self.thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        self.stopped.set()
        self.thread.join(timeout)

    def run(self) -> None:
        with self.app.app_context():
            while not self.stopped.is_set():
                try:
                    self._listen()
                except (psycopg.Error, SQLAlchemyError, RedisError) as exc:
                    log.warning("event dispatch: %s: %s; starting again in %.0f s",
                                type(exc).__name__, exc, self.retry_seconds)
                self.listening.clear()
                self.stopped.wait(self.retry_seconds)

    def _listen(self) -> None:
        with psycopg.connect(_dsn(), autocommit=True) as connection:
            if not connection.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
                return  # another dispatcher listens
            connection.execute(f"LISTEN {events.CHANNEL}")
            # An event stored after LISTEN and before the catch-up's query is in both: the
            # catch-up's ids are not enqueued again when their notifications arrive.
            caught_up = set(catch_up())
            if caught_up:
                log.info("event dispatch: %d stored events enqueued on taking over", len(caught_up))
            self.listening.set()
            while not self.stopped.is_set():
                ids = [note.payload for note in connection.notifies(timeout=1.0, stop_after=1)]
                if ids:
                    ids += [note.payload for note in connection.notifies(timeout=BATCH_SECONDS)]
                    fresh = [event_id for event_id in dict.fromkeys(ids) if event_id not in caught_up]
                    if fresh:
                        enqueue_events(queues(), fresh)
