"""Fixtures of the security suite: a signed-in Professional owner, a second web process for
other browsers, and the app as production runs it behind an HTTPS proxy."""

from __future__ import annotations

import pytest

import factories
from security_support import HTTPS
from support import share_transaction


@pytest.fixture
def pro_owner(app, db_session, client, sign_in, mails):
    """A signed-in owner of a fresh Professional tenant: ``pro_owner.tenant``."""
    tenant = factories.tenant(app, db_session, plan="professional")
    sign_in(tenant.owner_email)
    client.tenant = tenant
    return client


@pytest.fixture
def second_process(app, make_app, db_session):
    """Another web process of the same deployment, inside this test's transaction.

    Other browsers (a thief, an attacker) must talk to it, not to ``app``: the ``client``
    fixture keeps its last request's app context pushed, and a second test client of the same
    app would reuse that context's ``g`` (Flask-Login's cached user, Flask-WTF's token)."""
    other = make_app()
    other.config["TESTING"] = True
    share_transaction(other, app)
    return other


@pytest.fixture
def production_app(app, make_app, db_session, redis):
    """APP_ENV=production behind a proxy (TRUST_PROXY), inside this test's transaction."""
    made = make_app(APP_ENV="production", TRUST_PROXY=True)
    made.config["TESTING"] = True
    share_transaction(made, app)
    return made


@pytest.fixture
def https_client(production_app):
    """A browser talking to ``production_app`` through the HTTPS proxy (X-Forwarded-Proto)."""
    with production_app.test_client() as browser:
        browser.environ_base.update(HTTPS)
        browser.environ_base["HTTP_REFERER"] = "https://localhost/"  # same origin, as browsers send
        yield browser
