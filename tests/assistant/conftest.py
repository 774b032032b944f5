"""The writing assistant's tests: the local OpenAI-compatible API, the app's settings pointing
at it, and an Enterprise owner signed in."""

from __future__ import annotations

import httpx
import pytest

import factories


@pytest.fixture(scope="module")
def fake_ai():
    from fakes.openai_api import start_in_thread

    server = start_in_thread(api_keys=["sk-test"])
    yield server
    server.stop()


@pytest.fixture
def ai(app, fake_ai, monkeypatch):
    httpx.post(f"{fake_ai.url}/_test/reset")
    for name, value in {"AI_API_BASE": f"{fake_ai.url}/v1", "AI_API_KEY": "sk-test",
                        "AI_MODEL": "gpt-4o-mini", "AI_TIMEOUT_SECONDS": 5}.items():
        monkeypatch.setitem(app.config, name, value)
    return fake_ai


@pytest.fixture
def enterprise(app, db_session, client, sign_in):
    tenant = factories.tenant(app, db_session, plan="enterprise")
    sign_in(tenant.owner_email)
    return tenant
