"""``/metrics``: the Prometheus text format for allowed addresses (404 for others), with the
request, job, queue, tenant and monitoring families, and counts that move with the work."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from db.models.monitoring import Incident, SiteHealth, SiteStatus
from devstack.redis import free_port
from worker.cli import AppWorker
from worker.queues import MAINTENANCE
from worker.services import services

import factories

ROOT = Path(__file__).resolve().parents[2]

FAMILIES = (
    "contyzr_http_requests", "contyzr_http_request_duration_seconds",
    "contyzr_webhook_intake_duration_seconds", "contyzr_stripe_event_processing_seconds",
    "contyzr_job_failures", "contyzr_provisioning_duration_seconds", "contyzr_mails",
    "contyzr_redis_up", "contyzr_queue_jobs", "contyzr_queue_oldest_job_age_seconds",
    "contyzr_queue_workers", "contyzr_database_up", "contyzr_tenants", "contyzr_mrr_euros",
    "contyzr_site_health", "contyzr_open_incidents",
)
OUTSIDER = {"REMOTE_ADDR": "203.0.113.9"}


def scrape(client, **kwargs) -> dict[str, dict[tuple, float]]:
    """{family: {(sample name, sorted labels): value}}"""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        found[family.name] = {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
                              for sample in family.samples}
    return found


def value(families, family: str, sample: str, **labels) -> float:
    return families[family].get((sample, tuple(sorted(labels.items()))), 0.0)


def requests_of(families, group: str, method="GET", status="2xx") -> float:
    return value(families, "contyzr_http_requests", "contyzr_http_requests_total",
                 group=group, method=method, status=status)


def explode():
    raise RuntimeError("this job fails")


def test_loopback_reads_every_family_and_counts_move(client):
    before = scrape(client)
    assert set(FAMILIES) <= set(before), set(FAMILIES) - set(before)
    assert value(before, "contyzr_redis_up", "contyzr_redis_up") == 1
    assert value(before, "contyzr_database_up", "contyzr_database_up") == 1

    assert client.get("/pricing").status_code == 200
    assert client.get("/pricing").status_code == 200
    assert client.get("/no-such-page").status_code == 404
    after = scrape(client)
    assert requests_of(after, "pricing") == requests_of(before, "pricing") + 2
    assert requests_of(after, "other", status="4xx") == requests_of(before, "other", status="4xx") + 1
    latency = value(after, "contyzr_http_request_duration_seconds",
                    "contyzr_http_request_duration_seconds_count",
                    group="pricing", method="GET", status="2xx")
    assert latency == requests_of(after, "pricing")
    assert not any("/pricing" in str(labels) for labels in after["contyzr_http_requests"])


def test_other_addresses_get_a_plain_404(client, make_app):
    response = client.get("/metrics", environ_base=OUTSIDER)
    assert response.status_code == 404
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "contyzr_" not in response.get_data(as_text=True)

    behind_proxy = make_app(TRUST_PROXY=1)  # the client is the one X-Forwarded-For names
    with behind_proxy.test_client() as other:
        assert other.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
        assert scrape(other, headers={"X-Forwarded-For": "127.0.0.1"})
        assert scrape(other, base_url="http://10.1.2.3:9100")  # any host: Prometheus's target

    allowed = make_app(METRICS_ALLOW_FROM=["10.0.0.0/8", "203.0.113.0/24"])
    with allowed.test_client() as other:
        assert scrape(other, environ_base=OUTSIDER)
        assert other.get("/metrics").status_code == 404  # loopback is no longer in the list


def test_tenants_health_and_incidents_are_counted(app, client, db_session):
    tenant = factories.tenant(app, db_session)
    before = scrape(client)
    db_session.add(SiteHealth(tenant_id=tenant.id, status=SiteStatus.CRITICAL))
    db_session.add(Incident(rule="site_down", subject=f"tenant:{tenant.id}",
                            tenant_id=tenant.id, summary="down"))
    db_session.flush()
    after = scrape(client)
    assert value(after, "contyzr_tenants", "contyzr_tenants", state="active") >= 1
    assert value(after, "contyzr_site_health", "contyzr_site_health", status="critical") == \
        value(before, "contyzr_site_health", "contyzr_site_health", status="critical") + 1
    assert value(after, "contyzr_open_incidents", "contyzr_open_incidents", rule="site_down") == \
        value(before, "contyzr_open_incidents", "contyzr_open_incidents", rule="site_down") + 1
    assert value(after, "contyzr_mrr_euros", "contyzr_mrr_euros") >= 0


def test_queue_depth_counts_a_queued_job_and_failures_count(app, client, redis):
    queue = services(app).queues[MAINTENANCE]
    assert value(scrape(client), "contyzr_queue_jobs", "contyzr_queue_jobs", queue="maintenance") == 0
    queue.enqueue(explode)
    families = scrape(client)
    assert value(families, "contyzr_queue_jobs", "contyzr_queue_jobs", queue="maintenance") == 1
    assert value(families, "contyzr_queue_oldest_job_age_seconds",
                 "contyzr_queue_oldest_job_age_seconds", queue="maintenance") >= 0
    failed_before = value(families, "contyzr_job_failures", "contyzr_job_failures_total",
                          queue="maintenance", function="test_metrics.explode")

    with app.app_context():
        AppWorker([queue], connection=redis).work(burst=True)
    families = scrape(client)
    assert value(families, "contyzr_queue_jobs", "contyzr_queue_jobs", queue="maintenance") == 0
    assert value(families, "contyzr_job_failures", "contyzr_job_failures_total",
                 queue="maintenance", function="test_metrics.explode") == failed_before + 1


def test_redis_down_still_answers(make_app):
    down = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with down.test_client() as other:
        families = scrape(other)
    assert value(families, "contyzr_redis_up", "contyzr_redis_up") == 0
    assert "contyzr_queue_jobs" not in families


def start_gunicorn(base_config, port: int, metrics_dir: Path, log: Path) -> subprocess.Popen:
    env = {name: ",".join(value) if isinstance(value, list) else str(value)
           for name, value in base_config.items()}
    env = {**os.environ, **env, "PUBLIC_URL": f"http://127.0.0.1:{port}",
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
               "--error-logfile", str(log), "web.wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/livez", timeout=1, trust_env=False).is_success:
                return server
        except httpx.HTTPError:
            pass
        assert server.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.2)


def test_gunicorn_workers_add_up(base_config, redis, tmp_path):
    """Two sync workers: one is held by a request whose headers have not all arrived, so the
    other answers the rest; the held one then answers too. The scrape counts every request,
    whichever worker answered it."""
    port, metrics_dir = free_port(), tmp_path / "metrics"
    (metrics_dir).mkdir()
    (metrics_dir / "counter_999999999.db").write_bytes(b"")  # a process long gone: removed
    server = start_gunicorn(base_config, port, metrics_dir, tmp_path / "error.log")
    try:
        assert not (metrics_dir / "counter_999999999.db").exists()
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(trust_env=False, timeout=30) as http:
            before = requests_on(http, base)
            held = socket.create_connection(("127.0.0.1", port))
            held.sendall(b"GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            for _ in range(5):
                assert http.get(f"{base}/livez", headers={"Connection": "close"}).is_success
            held.sendall(b"Connection: close\r\n\r\n")
            assert held.recv(100).startswith(b"HTTP/1.1 200")
            held.close()
            after = requests_on(http, base)
        assert after == before + 6
        pids = {name.removesuffix(".db").rsplit("_", 1)[-1]
                for name in os.listdir(metrics_dir) if name.startswith("counter_")}
        assert len(pids) >= 2, pids
    finally:
        server.terminate()
        server.wait(30)


def requests_on(http: httpx.Client, base: str) -> float:
    response = http.get(f"{base}/metrics", headers={"Connection": "close"})
    assert response.status_code == 200, response.text
    for family in text_string_to_metric_families(response.text):
        if family.name == "contyzr_http_requests":
            return sum(sample.value for sample in family.samples
                       if sample.name.endswith("_total") and sample.labels["group"] == "health")
    return 0.0
