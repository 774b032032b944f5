"""ResendSender against the fake Resend API: ids, idempotency and error classification."""

import socket

import pytest
import resend
from resend.exceptions import ResendError

from emails.errors import PermanentMailError, TransientMailError
from emails.render import RenderedMail
from emails.senders import ResendSender
from fakes.resend_api import start_in_thread

FROM = "Contyzr <noreply@contyzr.test>"
MAIL = RenderedMail(subject="Reset your Contyzr password", text="Reset: x", html="<p>Reset</p>")


@pytest.fixture(scope="module")
def fake():
    with start_in_thread() as server:
        yield server


@pytest.fixture(autouse=True)
def restore_sdk_globals(fake, monkeypatch):
    """The sender configures the SDK's module globals; put them back after each test."""
    fake.state.reset()
    for name in ("api_key", "api_url", "default_http_client"):
        monkeypatch.setattr(resend, name, getattr(resend, name))


@pytest.fixture
def sender(fake):
    return ResendSender("re_test_key", FROM, api_url=fake.url)


def send(sender, key="password_reset:7"):
    return sender.send(to="owner@acme.test", mail=MAIL, idempotency_key=key)


def test_returns_the_accepted_id_and_sends_the_mail(sender, fake):
    email_id = send(sender)

    [recorded] = fake.emails
    assert recorded["id"] == email_id
    assert recorded["request_headers"]["Authorization"] == "Bearer re_test_key"
    assert recorded["body"] == {
        "from": FROM,
        "to": ["owner@acme.test"],
        "subject": MAIL.subject,
        "text": MAIL.text,
        "html": MAIL.html,
    }


def test_a_reply_to_address_is_sent_when_the_mail_has_one(sender, fake):
    mail = RenderedMail(MAIL.subject, MAIL.text, MAIL.html, reply_to="ann@example.com")
    sender.send(to="owner@acme.test", mail=mail, idempotency_key="contact_submission:1")

    [recorded] = fake.emails
    assert recorded["body"]["reply_to"] == "ann@example.com"


def test_sends_the_idempotency_key_so_a_retry_is_not_a_second_mail(sender, fake):
    first = send(sender)
    again = send(sender)

    assert again == first
    assert [mail["idempotency_key"] for mail in fake.emails] == ["password_reset:7"]


def test_the_api_url_defaults_to_the_environment(fake, monkeypatch):
    monkeypatch.setenv("RESEND_API_URL", fake.url)

    assert send(ResendSender("re_test_key", FROM)) == fake.emails[0]["id"]


def test_429_is_transient_and_honours_retry_after(sender, fake):
    fake.state.fail_next(429)

    with pytest.raises(TransientMailError) as raised:
        send(sender)

    assert raised.value.retry_after == 1.0
    assert "429" in str(raised.value)


def test_500_is_transient(sender, fake):
    fake.state.fail_next(500)

    with pytest.raises(TransientMailError) as raised:
        send(sender)

    assert raised.value.retry_after is None
    assert "internal_server_error" in str(raised.value)


def test_422_is_permanent_and_carries_resends_message(sender, fake):
    with pytest.raises(PermanentMailError) as raised:
        sender.send(to="not-an-address", mail=MAIL, idempotency_key="k")

    assert "Invalid `to` field." in str(raised.value)
    assert fake.emails == []


def test_an_injected_422_is_permanent(sender, fake):
    fake.state.fail_next(422)

    with pytest.raises(PermanentMailError, match="Simulated validation error."):
        send(sender)


def test_a_bad_api_key_is_permanent(fake):
    with pytest.raises(PermanentMailError, match="API key is invalid"):
        send(ResendSender("not-a-key", FROM, api_url=fake.url))


def test_a_reused_key_with_another_mail_is_permanent(sender):
    send(sender)

    with pytest.raises(PermanentMailError, match="invalid_idempotent_request"):
        sender.send(to="someone.else@acme.test", mail=MAIL, idempotency_key="password_reset:7")


def test_a_concurrent_request_with_the_same_key_is_transient(sender, monkeypatch):
    def still_processing(params, options):
        raise ResendError(409, "concurrent_idempotent_requests", "Retry later.", "")

    monkeypatch.setattr(resend.Emails, "send", still_processing)

    with pytest.raises(TransientMailError):
        send(sender)


def test_a_connection_error_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(TransientMailError, match="Could not reach Resend"):
        send(ResendSender("re_test_key", FROM, api_url=f"http://127.0.0.1:{port}"))


def test_a_timeout_is_transient():
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"

        with pytest.raises(TransientMailError, match="timed out"):
            send(ResendSender("re_test_key", FROM, api_url=url, timeout=0.2))
