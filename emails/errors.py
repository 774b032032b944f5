"""What a mail send can fail with, from the point of view of whoever retries it."""


class MailError(Exception):
    """Base class of mail delivery failures."""


class TransientMailError(MailError):
    """Worth retrying: rate limited, provider error, timeout, connection failure.

    ``retry_after`` is the delay in seconds the provider asked for, if it said.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class PermanentMailError(MailError):
    """Retrying the same request will fail again (invalid address, bad key, ...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
