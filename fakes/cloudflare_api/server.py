"""Run the fake Cloudflare API in a background thread of the current process."""

from __future__ import annotations

import threading
from typing import Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import create_app
from .state import CloudflareState


class _QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class FakeCloudflareServer:
    """A running fake: ``url`` (controls under ``/_test``), ``api_base`` (the SDK's
    ``base_url``), and its ``state``."""

    def __init__(self, server: BaseWSGIServer, state: CloudflareState) -> None:
        self.state = state
        self.url = f"http://{server.host}:{server.server_port}"
        self.api_base = f"{self.url}/client/v4"
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-cloudflare-api",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_in_thread(port: int = 0, host: str = "127.0.0.1",
                    state: CloudflareState | None = None) -> FakeCloudflareServer:
    """Serve the fake on ``host:port`` (``port=0``: any free port) until ``stop()``."""
    state = state or CloudflareState()
    server = make_server(host, port, create_app(state), threaded=True,
                         request_handler=_QuietRequestHandler)
    return FakeCloudflareServer(server, state)
