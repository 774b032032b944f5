"""Run the fake OpenAI-compatible API in a background thread of the current process."""

from collections.abc import Iterable
from typing import Any

from fakes.serving import ThreadedFake

from .app import create_app
from .state import OpenAIState


class FakeOpenAIServer(ThreadedFake):
    """A running fake: ``url`` (controls under ``/_test``), ``api_base`` (the SDK's
    ``base_url``), and its ``state`` to steer and inspect it."""

    def __init__(self, state: OpenAIState, host: str, port: int) -> None:
        self.state = state
        super().__init__(create_app(state), host, port, "fake-openai-api")
        self.api_base = f"{self.url}/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The API requests received, oldest first."""
        return self.state.requests

    def stop(self) -> None:
        self.state.wake_sleepers()  # let ``hang``/``slow`` requests finish
        super().stop()


def start_in_thread(
    port: int = 0,
    host: str = "127.0.0.1",
    state: OpenAIState | None = None,
    api_keys: Iterable[str] | None = None,
    chunk_delay_ms: int | None = None,
) -> FakeOpenAIServer:
    """Serve the fake on ``host:port`` (``port=0``: any free port) until ``stop()``.

    ``api_keys`` (default ``["sk-test"]``) and ``chunk_delay_ms`` configure a new state; they
    are ignored when ``state`` is given.
    """
    if state is None:
        state = OpenAIState(api_keys=api_keys, chunk_delay_ms=chunk_delay_ms)
    return FakeOpenAIServer(state, host, port)
