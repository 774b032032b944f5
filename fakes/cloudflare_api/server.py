"""Run the fake Cloudflare API in a background thread of the current process."""

from __future__ import annotations

from fakes.serving import ThreadedFake

from .app import create_app
from .state import CloudflareState


class FakeCloudflareServer(ThreadedFake):
    """A running fake: ``url`` (controls under ``/_test``), ``api_base`` (the SDK's
    ``base_url``), and its ``state``."""

    def __init__(self, state: CloudflareState, host: str, port: int) -> None:
        self.state = state
        super().__init__(create_app(state), host, port, "fake-cloudflare-api")
        self.api_base = f"{self.url}/client/v4"


def start_in_thread(port: int = 0, host: str = "127.0.0.1",
                    state: CloudflareState | None = None) -> FakeCloudflareServer:
    """Serve the fake on ``host:port`` (``port=0``: any free port) until ``stop()``."""
    return FakeCloudflareServer(state or CloudflareState(), host, port)
