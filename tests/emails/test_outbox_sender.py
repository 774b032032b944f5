"""OutboxSender writes one readable .eml per idempotency key."""

import email
import re
from email import policy

import pytest

from emails.render import RenderedMail
from emails.senders import OutboxSender

MAIL = RenderedMail(
    subject="Welcome to Contyzr: the site for Acme & Co is live",
    text="Hello,\n\nYour site is live.\n",
    html="<p>Hello,</p><p>Your site is <strong>live</strong>.</p>\n",
)


@pytest.fixture
def outbox(tmp_path):
    return OutboxSender(tmp_path / "outbox", "Contyzr <noreply@contyzr.test>")


def read(path):
    with path.open("rb") as file:
        return email.message_from_binary_file(file, policy=policy.default)


def test_writes_a_parseable_multipart_eml(outbox, tmp_path):
    name = outbox.send(to="owner@acme.test", mail=MAIL, idempotency_key="welcome:42")

    message = read(tmp_path / "outbox" / name)
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == MAIL.subject
    assert message["From"] == "Contyzr <noreply@contyzr.test>"
    assert message["To"] == "owner@acme.test"
    assert message["Date"].datetime.tzinfo is not None
    assert re.fullmatch(r"<.+@contyzr\.test>", message["Message-ID"])
    assert message.get_body(("plain",)).get_content() == MAIL.text
    assert message.get_body(("html",)).get_content() == MAIL.html


def test_a_reply_to_address_is_a_header_only_when_given(outbox, tmp_path):
    plain = outbox.send(to="owner@acme.test", mail=MAIL, idempotency_key="welcome:1")
    replied = outbox.send(to="owner@acme.test", idempotency_key="contact_submission:1",
                          mail=RenderedMail(MAIL.subject, MAIL.text, MAIL.html,
                                            reply_to="ann@example.com"))

    assert read(tmp_path / "outbox" / plain)["Reply-To"] is None
    assert read(tmp_path / "outbox" / replied)["Reply-To"] == "ann@example.com"


def test_the_file_name_is_a_timestamp_and_the_sanitised_key(outbox):
    name = outbox.send(to="owner@acme.test", mail=MAIL, idempotency_key="dunning:in_1/../x y")

    assert re.fullmatch(r"\d{8}T\d{12}Z-dunning_in_1_.._x_y\.eml", name)


def test_the_same_key_is_written_once(outbox, tmp_path):
    first = outbox.send(to="owner@acme.test", mail=MAIL, idempotency_key="welcome:42")
    second = outbox.send(to="owner@acme.test", mail=MAIL, idempotency_key="welcome:42")

    assert second == first
    assert [path.name for path in (tmp_path / "outbox").glob("*.eml")] == [first]


def test_another_key_gets_its_own_file(outbox, tmp_path):
    outbox.send(to="owner@acme.test", mail=MAIL, idempotency_key="welcome:42")
    outbox.send(to="owner@acme.test", mail=MAIL, idempotency_key="welcome:4")
    outbox.send(to="owner@acme.test", mail=MAIL, idempotency_key="x-welcome:42")

    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3


def test_no_temporary_files_are_left_behind(outbox, tmp_path):
    outbox.send(to="owner@acme.test", mail=MAIL, idempotency_key="welcome:42")

    assert not list((tmp_path / "outbox").glob("*.tmp"))
