"""Tenant sites served by the real app on a loopback HTTP server, checked through a proxy that
misbehaves on demand (fault_proxy.py), the way the job does it: a healthy site with its
response time; slow, failing, garbage and looping sites; a hanging site past the timeout
while the rest of the batch is still checked; a failing own domain; suspended tenants left
alone; two runs at once never checking one tenant twice. Data is committed for real and
purged afterwards."""

from __future__ import annotations

import threading
import uuid

import pytest
from fault_proxy import FaultProxy
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from db.models import CustomDomain, SiteCheck, SiteHealth, SiteStatus, Tenant
from db.models.domains import DomainStatus
from db.models.tenants import BillingState
from monitoring import check_rounds
from worker.jobs.site_health import check_sites
from worker.services import services

import factories
from support import purge

H, W, C = SiteStatus.HEALTHY, SiteStatus.WARNING, SiteStatus.CRITICAL


@pytest.fixture
def served(make_app, redis):
    """The real app on loopback, behind the fault proxy."""
    site_app = make_app()
    server = make_server("127.0.0.1", 0, site_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    proxy = FaultProxy(f"http://127.0.0.1:{server.server_port}").start()
    yield proxy
    proxy.stop()
    server.shutdown()
    thread.join()


@pytest.fixture
def checker(app, served, monkeypatch):
    """The app the job runs in, sending its checks to the proxy; small limits."""
    for name, value in {"SITE_CHECK_CONNECT": served.address, "SITE_CHECK_TIMEOUT_SECONDS": 2,
                        "SITE_CHECK_SLOW_MS": 3000, "SITE_CHECK_CONCURRENCY": 10,
                        "SITE_CHECK_BATCH_SIZE": 1000}.items():
        monkeypatch.setitem(app.config, name, value)
    return app


@pytest.fixture
def tenants(app):
    """Make committed tenants (``make(n, plan)``); purged afterwards."""
    engine = services(app).database.engine
    made = []

    def make(count=1, plan="starter"):
        with Session(engine, expire_on_commit=False) as session:
            found = [factories.tenant(app, session, plan=plan) for _ in range(count)]
        made.extend(t.subdomain for t in found)
        return found

    yield make
    purge(engine, made)


def _due(app, tenant_ids):
    """Give the tenants their health rows and make their checks due now."""
    with Session(services(app).database.engine) as session:
        check_rounds.ensure_rows(session, 300)
        session.execute(update(SiteHealth).where(SiteHealth.tenant_id.in_(tenant_ids))
                        .values(next_check_at=text("now() - interval '1 second'")))
        session.commit()


def _health(app, tenant_id):
    with Session(services(app).database.engine) as session:
        return session.get(SiteHealth, tenant_id)


def _host(tenant):
    return f"{tenant.subdomain}.example.test"


def test_a_healthy_site_is_healthy_with_its_response_time(checker, served, tenants):
    (tenant,) = tenants(1)
    _due(checker, [tenant.id])
    with checker.app_context():
        assert check_sites() >= 1
    health = _health(checker, tenant.id)
    assert health.status == H and health.reason is None
    assert health.response_ms is not None and health.response_ms >= 0
    assert health.checked_at is not None and health.failures_in_a_row == 0
    assert _host(tenant) in served.requests


def test_slow_failing_garbage_looping_and_hanging_sites_are_detected(checker, served,
                                                                     tenants):
    fine, slow, failing, text_page, garbage, looping, hanging = tenants(7)
    served.faults.update({
        _host(slow): ("slow", 4.5), _host(failing): ("fail", 0), _host(text_page): ("text", 0),
        _host(garbage): ("garbage", 0), _host(looping): ("loop", 0),
        _host(hanging): ("hang", 30)})
    checker.config["SITE_CHECK_TIMEOUT_SECONDS"] = 8
    _due(checker, [t.id for t in (fine, slow, failing, text_page, garbage, looping, hanging)])
    with checker.app_context():
        check_sites()
    assert _health(checker, fine.id).status == H
    slow_health = _health(checker, slow.id)
    assert slow_health.status == W and slow_health.reason.startswith("slow: ")
    assert slow_health.response_ms >= 4500
    expected = {failing: "HTTP 500", text_page: "not an HTML page",
                garbage: "not an HTTP answer", looping: "redirect loop",
                hanging: "timed out after 8 s"}
    for tenant, reason in expected.items():
        health = _health(checker, tenant.id)
        assert (health.status, health.reason, health.failures_in_a_row) == (C, reason, 1)


def test_a_failing_own_domain_is_a_warning_while_the_subdomain_answers(checker, served,
                                                                       tenants, app):
    (tenant,) = tenants(1, plan="professional")
    name = f"shop-{uuid.uuid4().hex[:8]}.test"
    with Session(services(app).database.engine) as session:
        session.add(CustomDomain(tenant_id=tenant.id, name=name, status=DomainStatus.VERIFIED))
        session.commit()
    _due(checker, [tenant.id])
    with checker.app_context():
        check_sites()
    assert _health(checker, tenant.id).status == H
    assert name in served.requests

    served.faults[name] = ("fail", 0)
    _due(checker, [tenant.id])
    with checker.app_context():
        check_sites()
    health = _health(checker, tenant.id)
    assert (health.status, health.reason) == (W, f"{name}: HTTP 500")


def test_suspended_tenants_are_not_checked(checker, served, tenants, app):
    live, suspended = tenants(2)
    _due(checker, [live.id, suspended.id])
    with Session(services(app).database.engine) as session:
        session.execute(update(Tenant).where(Tenant.id == suspended.id)
                        .values(billing_state=BillingState.SUSPENDED))
        session.commit()
    with checker.app_context():
        check_sites()
    assert _host(live) in served.requests and _host(suspended) not in served.requests
    assert _health(checker, suspended.id) is None  # its status is unknown while offline


def test_two_runs_at_once_never_check_a_tenant_twice(checker, served, tenants, app):
    made = tenants(12)
    ids = [t.id for t in made]
    for tenant in made[:6]:
        served.faults[_host(tenant)] = ("slow", 0.3)
    _due(checker, ids)
    checker.config["SITE_CHECK_BATCH_SIZE"] = 3
    errors = []

    def run():
        try:
            with checker.app_context():
                check_sites()
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    runs = [threading.Thread(target=run) for _ in range(3)]
    for each in runs:
        each.start()
    for each in runs:
        each.join(60)
    assert not errors
    with Session(services(app).database.engine) as session:
        counts = dict(session.execute(select(SiteCheck.tenant_id, func.count())
                                      .where(SiteCheck.tenant_id.in_(ids))
                                      .group_by(SiteCheck.tenant_id)).all())
    assert counts == {tenant_id: 1 for tenant_id in ids}
    asked = [host for host in served.requests if host in {_host(t) for t in made}]
    assert sorted(asked) == sorted(_host(t) for t in made)
