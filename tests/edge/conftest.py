"""The production edge for real: Debian's ``caddy`` running ``deploy/Caddyfile`` (with its own
CA, ``EDGE_CA=local``, and on-demand certificates for the platform's names too, since Debian's
caddy has no DNS provider for the wildcard) in front of the app on a loopback HTTP server.

Caddy gets its own free ports, its own data folder (``XDG_DATA_HOME``: its CA and
certificates) and no admin endpoint, so it is independent of any caddy the system runs.
Clients resolve every name to 127.0.0.1 themselves: they connect to Caddy's port and send the
name as SNI and Host, and trust only the root of Caddy's local CA.
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy.orm import Session

from worker.services import services

CADDYFILE = Path(__file__).resolve().parents[2] / "deploy" / "Caddyfile"
PLATFORM = "platform.test"
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RequestLog:
    """WSGI middleware (outermost): every request Caddy passed to the app, as Caddy sent it."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.seen: list[dict] = []

    def __call__(self, environ, start_response):
        entry = {"host": environ.get("HTTP_HOST"), "path": environ.get("PATH_INFO"),
                 "query": parse_qs(environ.get("QUERY_STRING", "")),
                 "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
                 "forwarded_proto": environ.get("HTTP_X_FORWARDED_PROTO")}
        self.seen.append(entry)

        def start(status, headers, exc_info=None):
            entry["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)

    def asks(self, name: str) -> list[int]:
        """The answers the app gave to Caddy's on-demand TLS questions about ``name``."""
        return [entry.get("status") for entry in self.seen
                if entry["path"] == "/_edge/tls-ask" and entry["query"].get("domain") == [name]]


@dataclass
class Edge:
    app: object
    http_port: int
    https_port: int
    root: Path  # Caddy's local CA certificate
    log: Path  # Caddy's own log
    requests: RequestLog
    platform: str = PLATFORM  # the app's PLATFORM_DOMAIN

    @property
    def engine(self):
        return services(self.app).database.engine

    def tls(self) -> ssl.SSLContext:
        """A client context trusting Caddy's local CA only (not the system's CAs)."""
        return ssl.create_default_context(cafile=str(self.root))

    def certificate(self, name: str) -> dict:
        """The certificate Caddy presents for ``name`` (ssl.SSLError when it presents none)."""
        with socket.create_connection(("127.0.0.1", self.https_port), timeout=15) as raw, \
                self.tls().wrap_socket(raw, server_hostname=name) as tls:
            return tls.getpeercert()

    def get(self, name: str, path: str = "/") -> httpx.Response:
        """GET https://<name><path> through Caddy, ``name`` resolved to 127.0.0.1. A fresh
        client each time: a pooled connection would carry another name's SNI."""
        with httpx.Client(verify=self.tls(), timeout=15) as client:
            return client.get(f"https://127.0.0.1:{self.https_port}{path}",
                              headers={"Host": name}, extensions={"sni_hostname": name})

    def get_plain(self, name: str, path: str = "/") -> httpx.Response:
        with httpx.Client(timeout=15) as client:
            return client.get(f"http://127.0.0.1:{self.http_port}{path}", headers={"Host": name})

    def caddy_log(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _caddy() -> str:
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.fail("caddy is missing: the edge test runs Debian's Caddy in front of the app. "
                    "`make test` installs it (apt-get install caddy).", pytrace=False)
    return caddy


def _wait_until_listening(process: subprocess.Popen, edge: Edge) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"caddy stopped at start (exit {process.returncode}):\n{edge.caddy_log()}",
                        pytrace=False)
        if edge.root.exists():
            try:
                socket.create_connection(("127.0.0.1", edge.https_port), timeout=1).close()
                return
            except OSError:
                pass
        time.sleep(0.1)
    pytest.fail(f"caddy did not listen on {edge.https_port} within {STARTUP_SECONDS} s:\n"
                f"{edge.caddy_log()}", pytrace=False)


@pytest.fixture(scope="module")
def edge(base_config, tmp_path_factory):
    """The app behind the real Caddy, as in production but on loopback and with Caddy's CA."""
    from werkzeug.serving import make_server

    from web import create_app

    from support import set_public_url

    caddy = _caddy()
    app = create_app({**base_config, "PLATFORM_DOMAIN": PLATFORM, "TRUST_PROXY": 1,
                      "JOB_RETRY_INTERVALS": (0, 0, 0)})
    set_public_url(app, f"https://{PLATFORM}")
    requests = RequestLog(app.wsgi_app)
    app.wsgi_app = requests
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="edge-app", daemon=True)
    thread.start()

    home = tmp_path_factory.mktemp("caddy")
    edge = Edge(app=app, http_port=free_port(), https_port=free_port(),
                root=home / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt",
                log=home / "caddy.log", requests=requests)
    environment = {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
        "PLATFORM_DOMAIN": PLATFORM, "APP_UPSTREAM": f"127.0.0.1:{server.server_port}",
        "EDGE_CA": "local", "EDGE_PLATFORM_TLS": "on-demand", "EDGE_ADMIN": "off",
        "EDGE_HTTP_PORT": str(edge.http_port), "EDGE_HTTPS_PORT": str(edge.https_port),
    }
    with edge.log.open("wb") as log:
        process = subprocess.Popen(
            [caddy, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
            env=environment, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _wait_until_listening(process, edge)
        yield edge
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        server.shutdown()
        thread.join()
        server.server_close()
        services(app).database.engine.dispose()


def forget_cached_routes(app) -> None:
    """The app caches which tenant a host names; tell it the domains changed."""
    if importlib.util.find_spec("tenants.domain_routing") is not None:
        from tenants.domain_routing import invalidate

        invalidate(services(app).redis)


@pytest.fixture
def make_tenant(edge, redis):
    """A live Professional tenant (committed, deleted afterwards) with custom domains in the
    given states, as the verifier leaves them: ``make_tenant(company, {name: status})``."""
    from db.base import utcnow
    from db.models.domains import CustomDomain, DomainStatus

    import factories
    from support import purge

    made = []

    def make(company: str, domains: dict[str, str], suspended: bool = False):
        with Session(edge.engine, expire_on_commit=False) as session:
            tenant = factories.tenant(edge.app, session, plan="professional", company=company)
            made.append(tenant.subdomain)
            for position, (name, status) in enumerate(domains.items()):
                verified = status == DomainStatus.VERIFIED
                session.add(CustomDomain(tenant_id=tenant.id, name=name, status=status,
                                         is_primary=verified and position == 0,
                                         verified_at=utcnow() if verified else None))
            if suspended:
                tenant.billing_state, tenant.suspended_at = "suspended", utcnow()
            session.commit()
        forget_cached_routes(edge.app)
        return tenant

    yield make
    purge(edge.engine, made)
    forget_cached_routes(edge.app)

