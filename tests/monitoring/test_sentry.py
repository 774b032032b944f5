"""With ``SENTRY_DSN`` set, an error in a view reaches Sentry (here a small HTTP server on
loopback that takes the envelopes sentry-sdk posts to /api/1/envelope/), tagged with the
request id, without the token of its address, cookies or headers."""

from __future__ import annotations

import gzip
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk


class FakeSentry(ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), Envelopes)
        self.envelopes: list[str] = []
        self.received = threading.Event()


class Envelopes(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path.startswith("/api/1/envelope/"):
            self.server.envelopes.append(body.decode("utf-8", errors="replace"))
            self.server.received.set()
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_sentry():
    server = FakeSentry()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # reporting off again for the tests that follow
    server.shutdown()
    server.server_close()
    thread.join()


def test_an_error_in_a_view_reaches_sentry_tagged_and_masked(make_app, redis, fake_sentry):
    token, cookie, header = (secrets.token_urlsafe(32), secrets.token_hex(16),
                             secrets.token_hex(16))
    app = make_app(SENTRY_DSN=f"http://key@127.0.0.1:{fake_sentry.server_port}/1")

    def boom(token):
        raise RuntimeError("the view broke")

    app.add_url_rule("/invites/<token>/boom", "boom", boom)
    with app.test_client() as client:
        response = client.get(f"/invites/{token}/boom?token={token}", headers={
            "X-Request-ID": "sentry-test-1234", "Cookie": f"session={cookie}",
            "Authorization": f"Bearer {header}"})
    assert response.status_code == 500
    sentry_sdk.flush(timeout=10)
    assert fake_sentry.received.wait(10), "no envelope reached the local Sentry"
    sent = "\n".join(fake_sentry.envelopes)
    assert "RuntimeError" in sent and "the view broke" in sent
    assert '"request_id":"sentry-test-1234"' in sent.replace(" ", "")
    assert f"/invites/{token[:4]}" in sent
    for secret in (token, cookie, header):
        assert secret not in sent, sent[max(0, sent.find(secret) - 300):sent.find(secret) + 50]
