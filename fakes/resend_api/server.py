"""Run the fake Resend API in a background thread of the current process."""

from typing import Any

from fakes.serving import ThreadedFake

from .app import create_app
from .state import ResendState


class FakeResendServer(ThreadedFake):
    """A running fake: point the SDK at ``url``; steer and inspect it through ``state``."""

    def __init__(self, state: ResendState, host: str, port: int) -> None:
        self.state = state
        super().__init__(create_app(state), host, port, "fake-resend-api")

    @property
    def emails(self) -> list[dict[str, Any]]:
        """The accepted mails, oldest first."""
        return self.state.emails


def start_in_thread(
    port: int = 0, host: str = "127.0.0.1", state: ResendState | None = None
) -> FakeResendServer:
    """Serve the fake on ``host:port`` (``port=0``: any free port) until ``stop()``."""
    return FakeResendServer(state or ResendState(), host, port)
