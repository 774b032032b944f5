"""For the alert tests: a Slack-compatible webhook receiver on loopback (answering 200, 500,
or never within the client's timeout), site health written through the health checks' own
``monitoring.uptime.record``, and the alert settings of a test."""

from __future__ import annotations

import itertools
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from db.base import utcnow
from db.models import SiteHealth
from monitoring import uptime
from monitoring.site_checks import Verdict
from worker.services import services

STAFF_OPS = "ops@agency.example"
_apart = itertools.count(1)


class WebhookReceiver:
    """``mode``: "ok" (200), "fail" (500) or "hang" (holds the request until ``stop``)."""

    def __init__(self):
        self.posts: list[dict] = []
        self.hits = 0
        self.mode = "ok"
        self.released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.hits += 1
                if receiver.mode == "hang":
                    receiver.released.wait(30)
                    return
                if receiver.mode == "fail":
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.posts.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def texts(self) -> list[str]:
        return [post["text"] for post in self.posts]

    def stop(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def alert_settings(app, monkeypatch, **overrides):
    settings = {"ALERT_MAIL_TO": [STAFF_OPS], "ALERT_WEBHOOK_URL": None,
                "ALERT_WEBHOOK_TIMEOUT_SECONDS": 2.0, "ALERT_RESOLVE_AFTER_MINUTES": 0,
                "ALERT_WEBHOOK_RETRY_INTERVALS": (0, 0, 0), "ALERT_NOTICES_PER_RULE": 5,
                **overrides}
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)


def only_rules(monkeypatch, *names):
    """Evaluate only these rules (the others read the whole database and Redis)."""
    from monitoring import alert_rules, alerts

    monkeypatch.setattr(alerts, "RULES", {name: alert_rules.RULES[name] for name in names})


def checked(db_session, tenant, *statuses, response_ms=120, reason="HTTP 500"):
    """Record checks of ``tenant``'s site, one per status, as the health checks would."""
    if db_session.get(SiteHealth, tenant.id) is None:
        db_session.add(SiteHealth(tenant_id=tenant.id))
        db_session.flush()
    for status in statuses:  # (apart by a few microseconds, also under freezegun)
        uptime.record(db_session, [Verdict(tenant.id, status, response_ms,
                                           reason if status == "critical" else None)],
                      at=utcnow() + timedelta(microseconds=next(_apart)))
    db_session.commit()


def evaluate(app):
    """The minutely job, as the scheduler runs it."""
    from worker.jobs.alerts import evaluate_alerts

    with app.app_context():
        return evaluate_alerts()


def mails_to(mails, address: str) -> list[dict]:
    return [mail["body"] for mail in mails.emails if mail["body"]["to"] == [address]]


def redis_of(app):
    return services(app).queues.connection
