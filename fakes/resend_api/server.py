"""Run the fake Resend API in a background thread of the current process."""

import threading
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, make_server

from .app import create_app
from .state import ResendState


class FakeResendServer:
    """A running fake: point the SDK at ``url``; steer and inspect it through ``state``."""

    def __init__(self, server: BaseWSGIServer, state: ResendState) -> None:
        self.state = state
        self.url = f"http://{server.host}:{server.port}"
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="fake-resend-api", daemon=True
        )
        self._thread.start()

    @property
    def emails(self) -> list[dict[str, Any]]:
        """The accepted mails, oldest first."""
        return self.state.emails

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_in_thread(
    port: int = 0, host: str = "127.0.0.1", state: ResendState | None = None
) -> FakeResendServer:
    """Serve the fake on ``host:port`` (``port=0``: any free port) until ``stop()``."""
    state = state or ResendState()
    return FakeResendServer(make_server(host, port, create_app(state), threaded=True), state)
