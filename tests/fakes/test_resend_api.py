"""The fake Resend API, driven through the real ``resend`` SDK.

The SDK reads ``RESEND_API_URL`` once, at import, into ``resend.api_url``, and builds every
request URL from that attribute: so the tests point it at the fake by patching the attribute.
"""

import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import resend
from resend.exceptions import (
    InvalidApiKeyError,
    MissingApiKeyError,
    MissingRequiredFieldsError,
    RateLimitError,
    ResendError,
    ValidationError,
)

from fakes.resend_api import ResendState, create_app, start_in_thread

API_KEY = "re_test_key"


def mail(**overrides):
    return {
        "from": "Contyzr <noreply@contyzr.test>",
        "to": ["owner@acme.test"],
        "subject": "Hello",
        "text": "Hello in text",
        "html": "<p>Hello in HTML</p>",
        "headers": {"X-Entity-Ref-ID": "123"},
        "tags": [{"name": "category", "value": "welcome"}],
    } | overrides


@pytest.fixture(scope="module")
def fake():
    with start_in_thread() as server:
        yield server


@pytest.fixture(autouse=True)
def sdk(fake, monkeypatch):
    fake.state.reset()
    fake.state.rate_limit = None
    monkeypatch.setattr(resend, "api_url", fake.url)
    monkeypatch.setattr(resend, "api_key", API_KEY)


@pytest.fixture(scope="module")
def control(fake):
    with httpx.Client(base_url=f"{fake.url}/_test") as client:
        yield client


def test_send_returns_an_id_and_records_the_mail(fake):
    response = resend.Emails.send(mail(), {"idempotency_key": "welcome-1"})

    assert uuid.UUID(response["id"])
    [recorded] = fake.emails
    assert recorded["id"] == response["id"]
    assert recorded["body"] == mail()
    assert recorded["idempotency_key"] == "welcome-1"
    assert recorded["request_headers"]["Authorization"] == f"Bearer {API_KEY}"
    assert recorded["request_headers"]["Idempotency-Key"] == "welcome-1"
    assert recorded["accepted_at"].endswith("+00:00")


def test_retrieve_a_sent_mail():
    sent = resend.Emails.send(mail(to="owner@acme.test"))

    email = resend.Emails.get(sent["id"])

    assert email["object"] == "email"
    assert email["id"] == sent["id"]
    assert email["to"] == ["owner@acme.test"]
    assert email["from"] == "Contyzr <noreply@contyzr.test>"
    assert (email["subject"], email["text"], email["html"]) == (
        "Hello",
        "Hello in text",
        "<p>Hello in HTML</p>",
    )
    assert email["last_event"] == "delivered"


def test_retrieve_an_unknown_mail_is_404():
    with pytest.raises(ResendError) as raised:
        resend.Emails.get(str(uuid.uuid4()))

    assert raised.value.code == 404
    assert raised.value.error_type == "not_found"


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("from", "Missing `from` field."),
        ("to", "Missing `to` field."),
        ("subject", "Missing `subject` field."),
    ],
)
def test_a_missing_required_field_is_422(fake, field, message):
    params = mail()
    del params[field]

    with pytest.raises(MissingRequiredFieldsError) as raised:
        resend.Emails.send(params)

    assert raised.value.code == 422
    assert raised.value.message == message
    assert fake.emails == []


def test_a_mail_needs_html_or_text():
    with pytest.raises(MissingRequiredFieldsError) as raised:
        resend.Emails.send(mail(html=None, text=None))

    assert raised.value.message == "Missing `html` or `text` field."


@pytest.mark.parametrize(
    ("overrides", "message_start"),
    [
        ({"from": "not an address"}, "Invalid `from` field."),
        ({"to": ["owner@acme.test", "nobody"]}, "Invalid `to` field."),
        ({"tags": [{"name": "category", "value": "has space"}]}, "Invalid `tags` field."),
    ],
)
def test_invalid_fields_are_422_validation_errors(overrides, message_start):
    with pytest.raises(ValidationError) as raised:
        resend.Emails.send(mail(**overrides))

    assert raised.value.code == 422
    assert raised.value.message.startswith(message_start)


def test_a_named_sender_address_is_valid():
    assert resend.Emails.send(mail(**{"from": "Contyzr Billing <billing@contyzr.test>"}))["id"]


def test_the_same_idempotency_key_returns_the_same_id_and_sends_once(fake):
    first = resend.Emails.send(mail(), {"idempotency_key": "dunning-42"})
    second = resend.Emails.send(mail(), {"idempotency_key": "dunning-42"})

    assert second["id"] == first["id"]
    assert len(fake.emails) == 1


def test_the_same_idempotency_key_with_another_body_is_409(fake):
    resend.Emails.send(mail(), {"idempotency_key": "dunning-42"})

    with pytest.raises(ResendError) as raised:
        resend.Emails.send(mail(subject="Changed"), {"idempotency_key": "dunning-42"})

    assert raised.value.code == 409
    assert raised.value.error_type == "invalid_idempotent_request"
    assert len(fake.emails) == 1


def test_an_overlong_idempotency_key_is_400():
    with pytest.raises(ResendError) as raised:
        resend.Emails.send(mail(), {"idempotency_key": "k" * 257})

    assert (raised.value.code, raised.value.error_type) == (400, "invalid_idempotency_key")


def test_idempotency_keys_expire_after_24_hours():
    now = [1_700_000_000.0]
    client = create_app(ResendState(clock=lambda: now[0])).test_client()
    headers = {"Authorization": f"Bearer {API_KEY}", "Idempotency-Key": "welcome-1"}

    first = client.post("/emails", json=mail(), headers=headers).json["id"]
    now[0] += 24 * 60 * 60 - 1
    assert client.post("/emails", json=mail(), headers=headers).json["id"] == first
    now[0] += 1
    assert client.post("/emails", json=mail(), headers=headers).json["id"] != first


def test_a_missing_api_key_is_401(monkeypatch):
    monkeypatch.setattr(resend, "api_key", "")

    with pytest.raises(MissingApiKeyError) as raised:
        resend.Emails.send(mail())

    assert raised.value.code == 401


def test_an_unset_api_key_is_rejected(monkeypatch):
    monkeypatch.setattr(resend, "api_key", None)  # the SDK then sends "Bearer None"

    with pytest.raises(InvalidApiKeyError) as raised:
        resend.Emails.send(mail())

    assert raised.value.code == 403


def test_injected_500s_fail_the_next_requests_only(fake, control):
    control.post("/failures", json={"status": 500, "count": 2}).raise_for_status()

    for _ in range(2):
        with pytest.raises(ResendError) as raised:
            resend.Emails.send(mail())
        assert raised.value.code == 500
        assert raised.value.error_type == "internal_server_error"
    assert resend.Emails.send(mail())["id"]
    assert len(fake.emails) == 1


def test_an_injected_429_carries_retry_after(control):
    control.post("/failures", json={"status": 429, "count": 1}).raise_for_status()

    with pytest.raises(RateLimitError) as raised:
        resend.Emails.send(mail())

    assert raised.value.code == 429
    assert raised.value.headers["Retry-After"] == "1"


def test_an_injected_422_is_a_validation_error(control):
    control.post("/failures", json={"status": 422}).raise_for_status()

    with pytest.raises(ValidationError) as raised:
        resend.Emails.send(mail())

    assert raised.value.code == 422


def test_a_failure_rate_fails_that_fraction_reproducibly(control):
    def outcomes():
        control.post("/reset").raise_for_status()
        control.post("/failures", json={"status": 500, "rate": 0.3, "seed": 1}).raise_for_status()
        results = []
        for _ in range(20):
            try:
                resend.Emails.send(mail())
                results.append("ok")
            except ResendError as error:
                results.append(error.code)
        return results

    first = outcomes()

    assert 2 <= first.count(500) <= 12
    assert first.count("ok") + first.count(500) == 20
    assert outcomes() == first


@pytest.mark.parametrize(
    "payload",
    [{"status": 404}, {"status": 500, "count": -1}, {"status": 500, "rate": 2}],
)
def test_invalid_failure_controls_are_400(control, payload):
    assert control.post("/failures", json=payload).status_code == 400


def test_the_rate_limit_answers_429_per_api_key(control, monkeypatch):
    control.post("/rate-limit", json={"per_second": 2}).raise_for_status()
    resend.Emails.send(mail())
    resend.Emails.send(mail())

    with pytest.raises(RateLimitError) as raised:
        resend.Emails.send(mail())

    assert raised.value.code == 429
    assert raised.value.headers["Retry-After"] == "1"
    assert "2 requests per second" in raised.value.message
    monkeypatch.setattr(resend, "api_key", "re_other_key")
    assert resend.Emails.send(mail())["id"]


def test_the_rate_limit_is_a_sliding_one_second_window():
    now = [1_700_000_000.0]
    client = create_app(ResendState(rate_limit=2, clock=lambda: now[0])).test_client()

    def send():
        return client.post("/emails", json=mail(), headers={"Authorization": f"Bearer {API_KEY}"})

    assert [send().status_code for _ in range(3)] == [200, 200, 429]
    now[0] += 0.999
    assert send().status_code == 429
    now[0] += 0.001
    assert [send().status_code for _ in range(3)] == [200, 200, 429]


def test_the_rate_limit_can_be_lifted(control):
    control.post("/rate-limit", json={"per_second": 1}).raise_for_status()
    resend.Emails.send(mail())
    with pytest.raises(RateLimitError):
        resend.Emails.send(mail())
    control.post("/rate-limit", json={"per_second": None}).raise_for_status()

    sent = [resend.Emails.send(mail())["id"] for _ in range(3)]

    assert len(set(sent)) == 3
    assert {listed["id"] for listed in control.get("/emails").json()} >= set(sent)


def test_controls_list_and_reset_the_accepted_mails(control):
    sent = resend.Emails.send(mail(), {"idempotency_key": "k-1"})

    [listed] = control.get("/emails").json()
    assert listed["id"] == sent["id"]
    assert listed["idempotency_key"] == "k-1"

    control.post("/reset").raise_for_status()
    assert control.get("/emails").json() == []


def test_unknown_endpoints_answer_in_resend_shape(fake):
    response = httpx.get(f"{fake.url}/nowhere")

    assert response.status_code == 404
    assert response.json()["statusCode"] == 404
    assert response.json()["name"] == "not_found"


def test_the_command_line_serves_the_fake(monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "fakes.resend_api", "--port", str(port)],
        cwd=Path(__file__).parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"{url}/_test/emails")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the fake did not start"
                time.sleep(0.05)
        monkeypatch.setattr(resend, "api_url", url)
        assert resend.Emails.send(mail())["id"]
    finally:
        server.terminate()
        server.wait(timeout=5)
