"""The app's services, built once by ``create_app`` and reached through ``services()``.

The object lives on the Flask app (``app.extensions["contyzr"]``) and is defined here, at the
worker layer, so that jobs reach it from the app they run in without importing ``web/``,
and ``web/`` (above ``worker/``) reaches it the same way. Rules in ``tenants/`` and
``billing/`` never read it: callers pass them a session and the parts they need.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from stripe import StripeClient

from emails.service import MailService
from links.urls import Urls
from plans.catalog import Catalog
from tenants.media_storage import MediaStorage
from worker.queues import Queues

EXTENSION = "contyzr"


@dataclass
class DatabaseState:
    """The engine and the session factory (tests bind the factory to their transaction)."""

    engine: Engine
    sessionmaker: sessionmaker[Session]


@dataclass(frozen=True)
class Services:
    catalog: Catalog
    urls: Urls
    database: DatabaseState
    redis: Redis
    queues: Queues
    stripe: StripeClient
    mail: MailService
    secret_key: str
    media: MediaStorage  # where uploaded files live (tenants/media_storage.py)


def install(app: Flask, built: Services) -> None:
    app.extensions[EXTENSION] = built


def services(app: Flask | None = None) -> Services:
    """The services of ``app``, or of the current app (a request, a job, a command)."""
    return (app or current_app).extensions[EXTENSION]
