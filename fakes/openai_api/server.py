"""Run the fake OpenAI-compatible API in a background thread of the current process."""

import threading
from collections.abc import Iterable
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import create_app
from .state import OpenAIState


class _QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class FakeOpenAIServer:
    """A running fake: ``url`` (controls under ``/_test``), ``api_base`` (the SDK's
    ``base_url``), and its ``state`` to steer and inspect it."""

    def __init__(self, server: BaseWSGIServer, state: OpenAIState) -> None:
        self.state = state
        self.url = f"http://{server.host}:{server.server_port}"
        self.api_base = f"{self.url}/v1"
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="fake-openai-api", daemon=True
        )
        self._thread.start()

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The API requests received, oldest first."""
        return self.state.requests

    def stop(self) -> None:
        self.state.wake_sleepers()  # let ``hang``/``slow`` requests finish
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


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
    server = make_server(
        host, port, create_app(state), threaded=True, request_handler=_QuietRequestHandler
    )
    return FakeOpenAIServer(server, state)
