"""A small HTTP proxy on loopback in front of the real app, which misbehaves on demand for
chosen Host names: slow (a delay, then the app's answer), fail (500), text (a 200 that is not
an HTML page), garbage (bytes that are not HTTP), loop (a redirect to itself), hang (nothing
until the proxy stops). Other hosts get the app's own answer."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


class FaultProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.faults: dict[str, tuple[str, float]] = {}  # host -> (kind, seconds)
        self.requests: list[str] = []  # the hosts asked, in order
        self.stopping = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802 (http.server's name)
                proxy.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def _send(self, handler, status: int, body: bytes, kind: str = "text/html",
              headers: dict | None = None) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    def handle(self, handler) -> None:
        host = handler.headers.get("Host", "").split(":")[0]
        self.requests.append(host)
        kind, seconds = self.faults.get(host, ("pass", 0.0))
        if kind == "hang":
            self.stopping.wait(seconds or 60)
            return
        if kind == "fail":
            return self._send(handler, 500, b"<html><body>Internal error</body></html>")
        if kind == "text":
            return self._send(handler, 200, b"just text", "text/plain")
        if kind == "garbage":
            handler.wfile.write(b"\x00\x17garbage, not HTTP at all\r\n\r\n")
            handler.close_connection = True
            return None
        if kind == "loop":
            return self._send(handler, 302, b"", headers={"Location": handler.path})
        if kind == "slow":
            time.sleep(seconds)
        answer = httpx.get(self.upstream + handler.path, headers={"Host": host}, timeout=30)
        return self._send(handler, answer.status_code, answer.content,
                          answer.headers.get("content-type", "text/html"))
