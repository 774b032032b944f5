"""A fake served on a loopback port in a background thread of the current process, for tests
and scripts: each fake's ``start_in_thread`` makes one of these (a subclass that adds its own
properties and, where it has more to stop, its own ``stop``)."""

from __future__ import annotations

import threading
from typing import Self

from werkzeug.serving import WSGIRequestHandler, make_server


class _QuietRequestHandler(WSGIRequestHandler):
    """No access log: tests and scripts read the fake's state, not request lines."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class ThreadedFake:
    """A running fake: its ``url``; ``stop()`` (or leaving a ``with``) ends it."""

    def __init__(self, app, host: str, port: int, name: str) -> None:
        self._server = make_server(host, port, app, threaded=True, request_handler=_QuietRequestHandler)
        self.url = f"http://{self._server.host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
