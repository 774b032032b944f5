"""Where rendered mails go: Resend in production, ``.eml`` files in an outbox directory."""

import fcntl
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

import resend
from resend.exceptions import ResendError
from resend.http_client_requests import RequestsClient

from .errors import MailError, PermanentMailError, TransientMailError
from .render import RenderedMail

DEFAULT_RESEND_API_URL = "https://api.resend.com"


class MailSender(Protocol):
    def send(self, *, to: str, mail: RenderedMail, idempotency_key: str) -> str:
        """Send ``mail`` to ``to`` once per ``idempotency_key``; return the provider's id.

        Raises ``TransientMailError`` (retry later) or ``PermanentMailError``.
        """
        ...


class ResendSender:
    """Sends through the official Resend SDK.

    The SDK is configured through module globals (``resend.api_key``, ``resend.api_url``,
    ``resend.default_http_client``), so ``send`` sets them each time: senders with
    different settings must not send concurrently in one process.
    ``api_url`` defaults to ``$RESEND_API_URL``, then to Resend's own API.
    """

    def __init__(
        self, api_key: str, from_address: str, api_url: str | None = None, timeout: float = 10
    ) -> None:
        self._api_key = api_key
        self._from_address = from_address
        self._api_url = (
            api_url or os.environ.get("RESEND_API_URL", DEFAULT_RESEND_API_URL)
        ).rstrip("/")
        self._http_client = RequestsClient(timeout=timeout)

    def send(self, *, to: str, mail: RenderedMail, idempotency_key: str) -> str:
        resend.api_key = self._api_key
        resend.api_url = self._api_url
        resend.default_http_client = self._http_client
        params: resend.Emails.SendParams = {
            "from": sender(self._from_address, mail),
            "to": [to],
            "subject": mail.subject,
            "text": mail.text,
            "html": mail.html,
        }
        if mail.reply_to:
            params["reply_to"] = mail.reply_to
        try:
            response = resend.Emails.send(params, {"idempotency_key": idempotency_key})
        except ResendError as error:
            raise _mail_error(error) from error
        return response["id"]


def sender(from_address: str, mail: RenderedMail) -> str:
    """The From header: the platform's, or the mail's own name at the platform's address
    (a shop's mails: "Bakkerij Jansen <hello@...>"; replies go to the shop by Reply-To)."""
    if not mail.from_name:
        return from_address
    name = " ".join(mail.from_name.split())[:100]
    return formataddr((name, parseaddr(from_address)[1]))


def _mail_error(error: ResendError) -> MailError:
    if error.error_type == "HttpClientError":  # the SDK's wrapper for timeouts and network errors
        return TransientMailError(f"Could not reach Resend: {error.message}")
    status = int(error.code)
    message = f"Resend answered {status} {error.error_type}: {error.message}"
    if status == 429 or status >= 500 or error.error_type == "concurrent_idempotent_requests":
        return TransientMailError(message, retry_after=_retry_after(error.headers))
    return PermanentMailError(message)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        return float(value) if value is not None else None
    except ValueError:  # an HTTP date, which Resend does not send
        return None


class OutboxSender:
    """Writes each mail as a standard ``.eml`` file into ``directory``, for development.

    Files are named ``<UTC timestamp>-<sanitised idempotency key>.eml``; a key that
    already has a file is not written again, and its file name is returned.
    """

    def __init__(self, directory: str | os.PathLike[str], from_address: str) -> None:
        self._directory = Path(directory)
        self._from_address = from_address

    def send(self, *, to: str, mail: RenderedMail, idempotency_key: str) -> str:
        self._directory.mkdir(parents=True, exist_ok=True)
        key = re.sub(r"[^A-Za-z0-9._-]+", "_", idempotency_key)[:200]
        with _exclusive_lock(self._directory / ".outbox.lock"):
            existing = self._file_for(key)
            if existing:
                return existing
            now = datetime.now(UTC)
            name = f"{now:%Y%m%dT%H%M%S%fZ}-{key}.eml"
            _write_atomically(self._directory / name, bytes(self._message(to, mail, now)))
        return name

    def _file_for(self, key: str) -> str | None:
        # Timestamps have no "-", so the key is everything after the first one.
        return next(
            (
                path.name
                for path in self._directory.glob("*.eml")
                if path.name.partition("-")[2] == f"{key}.eml"
            ),
            None,
        )

    def _message(self, to: str, mail: RenderedMail, now: datetime) -> EmailMessage:
        domain = parseaddr(self._from_address)[1].rpartition("@")[2] or "localhost"
        message = EmailMessage()
        message["Message-ID"] = make_msgid(domain=domain)
        message["Date"] = format_datetime(now)
        message["From"] = sender(self._from_address, mail)
        message["To"] = to
        message["Subject"] = mail.subject
        if mail.reply_to:
            message["Reply-To"] = mail.reply_to
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        return message


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Serialise outbox writers across threads and processes."""
    with path.open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        yield


def _write_atomically(path: Path, data: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
