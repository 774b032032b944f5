"""Test services and fixtures.

The run starts a real PostgreSQL and a real Redis once (session scope) and stops them at the
end. The schema is built by the Alembic migrations. Each test gets a connection with an outer
transaction that is rolled back; the app's sessions join it through savepoints.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import sessionmaker

from devstack.postgres import EmbeddedPostgres
from devstack.redis import EmbeddedRedis
from worker.services import services

TEST_SECRET = "test-secret-key-" + "x" * 32


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    server = EmbeddedPostgres(tmp_path_factory.mktemp("postgres"))
    admin_url = server.start()
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS contyzr_test"))
        connection.execute(text("CREATE DATABASE contyzr_test"))
    engine.dispose()
    yield admin_url.replace("/postgres?", "/contyzr_test?")
    server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), persist=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def migrated(postgres_url):
    from db.migrate import upgrade

    upgrade(postgres_url)
    return postgres_url


@pytest.fixture(scope="session")
def resend_fake():
    from fakes.resend_api.server import start_in_thread

    server = start_in_thread()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stripe_fake():
    """The local Stripe. Tests forward its events themselves (see support.forward_events);
    the end-to-end tests register a live app's webhook URL."""
    from fakes.stripe_api import start_in_thread

    server = start_in_thread()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_config(migrated, redis_server, resend_fake, stripe_fake, tmp_path_factory):
    return {
        "APP_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": migrated,
        "REDIS_URL": redis_server.url,
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        "PLATFORM_DOMAIN": "example.test",
        "PUBLIC_URL": "http://localhost",
        "STRIPE_SECRET_KEY": "sk_test_suite",
        "STRIPE_API_BASE": stripe_fake.url,
        "STRIPE_WEBHOOK_SECRET": ["whsec_test_current", "whsec_test_previous"],
        "STRIPE_CONNECT_WEBHOOK_SECRET": ["whsec_test_connect"],
        "RESEND_API_KEY": "re_test_suite",
        "RESEND_API_URL": resend_fake.url,
        "MAIL_RATE_PER_SECOND": 50,
        "DEFAULT_LANGUAGE": "en",  # the existing tests read English; test_languages sets nl
    }


@pytest.fixture(scope="session")
def app(base_config):
    from billing.catalog_sync import sync_catalog
    from web import create_app

    app = create_app({**base_config, "JOB_RETRY_INTERVALS": (0, 0, 0)})
    app.config["TESTING"] = True
    sync_catalog(services(app).stripe, services(app).catalog)
    yield app
    services(app).database.engine.dispose()


@pytest.fixture
def db_session(app):
    """The test's transaction: everything the app and the jobs write is rolled back."""
    state = services(app).database
    connection = state.engine.connect()
    outer = connection.begin()
    original = state.sessionmaker
    state.sessionmaker = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )

    @event.listens_for(state.sessionmaker, "after_commit")
    def end_confinement(_session):
        # In production SET LOCAL ROLE ends with the transaction; here the outer test
        # transaction outlives every commit, so end the tenant confinement explicitly.
        connection.exec_driver_sql("RESET ROLE")
        connection.exec_driver_sql("SELECT set_config('app.tenant_id', '', false)")

    session = state.sessionmaker()
    yield session
    session.close()
    state.sessionmaker = original
    outer.rollback()
    connection.close()


@pytest.fixture
def redis(app, redis_server):
    connection = services(app).queues.connection
    connection.flushdb()
    yield connection
    connection.flushdb()


@pytest.fixture
def client(app, db_session, redis):
    with app.test_client() as client:
        yield client


@pytest.fixture
def mails(resend_fake):
    """The mails the local Resend accepted during this test."""
    resend_fake.state.reset()
    return resend_fake


@pytest.fixture
def make_app(base_config):
    """Another app instance (other settings, or a second web process); disposed afterwards."""
    from web import create_app

    made = []

    def make(**overrides):
        made.append(create_app({**base_config, **overrides}))
        return made[-1]

    yield make
    for other in made:
        services(other).database.engine.dispose()


@pytest.fixture
def live_app(make_app, stripe_fake, redis):
    """The app on a real HTTP server on loopback, with the local Stripe delivering its webhooks
    to it. Data is committed for real: tests clean up what they create (support.purge)."""
    import httpx
    from werkzeug.serving import make_server

    from support import set_public_url

    live = make_app(JOB_RETRY_INTERVALS=(0, 0, 0))
    server = make_server("127.0.0.1", 0, live, threaded=True)
    set_public_url(live, f"http://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    httpx.post(f"{stripe_fake.url}/_test/webhooks", data={
        "url": f"{live.config['PUBLIC_URL']}/webhooks/stripe", "secret": "whsec_test_current"})
    httpx.post(f"{stripe_fake.url}/_test/webhooks", data={
        "url": f"{live.config['PUBLIC_URL']}/webhooks/stripe/connect",
        "secret": "whsec_test_connect", "connect": "true"})
    yield live
    httpx.delete(f"{stripe_fake.url}/_test/webhooks")
    server.shutdown()
    thread.join()


@pytest.fixture
def sign_in(client):
    """Sign ``client`` in as this email (password factories.PASSWORD)."""
    from factories import PASSWORD
    from support import csrf_token

    def sign_in_as(email: str):
        response = client.post("/login", data={"email": email, "password": PASSWORD,
                                                "csrf_token": csrf_token(client, "/login")})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in_as


@pytest.fixture
def owner_client(app, db_session, client, sign_in, mails):
    """A signed-in owner of a fresh Starter tenant: ``owner_client.tenant``."""
    import factories

    tenant = factories.tenant(app, db_session)
    sign_in(tenant.owner_email)
    client.tenant = tenant
    return client


@pytest.fixture
def forwarder(app, stripe_fake):
    """A local Stripe emptied for this test (catalog synced again), and the forwarder of its
    events to the app (support.EventForwarder)."""
    import httpx

    from billing.catalog_sync import sync_catalog

    from support import EventForwarder

    httpx.post(f"{stripe_fake.url}/_test/reset")
    sync_catalog(services(app).stripe, services(app).catalog)
    return EventForwarder(stripe_fake)


@pytest.fixture
def timeline(app, client, db_session, stripe_fake, forwarder, mails):
    """Make paying tenants on the local Stripe (see timeline.Timeline)."""
    from timeline import Timeline

    counter = iter(range(1000))

    def make(plan="starter", checkout=None, trial=False):
        return Timeline(app, client, db_session, stripe_fake, forwarder,
                        f"t-{next(counter)}-{id(db_session) % 100000}", plan, checkout, trial)

    return make


@pytest.fixture(scope="session")
def s3_server():
    """A local S3-compatible store (moto's server mode) with one bucket for media:
    ``s3_server.settings`` are the app's MEDIA_S3_* settings pointing at it."""
    from types import SimpleNamespace

    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    settings = {"MEDIA_S3_ENDPOINT": f"http://{host}:{port}", "MEDIA_S3_BUCKET": "contyzr-media",
                "MEDIA_S3_REGION": "eu-west-1", "MEDIA_S3_ACCESS_KEY_ID": "test-key",
                "MEDIA_S3_SECRET_ACCESS_KEY": "test-secret"}
    boto3.client("s3", endpoint_url=settings["MEDIA_S3_ENDPOINT"], region_name="eu-west-1",
                 aws_access_key_id="test-key", aws_secret_access_key="test-secret").create_bucket(
        Bucket=settings["MEDIA_S3_BUCKET"],
        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    yield SimpleNamespace(url=settings["MEDIA_S3_ENDPOINT"], settings=settings)
    server.stop()


@pytest.fixture(scope="session")
def dns_server_session():
    """The local authoritative DNS server (tests/dns_server.py), on a free port of 127.0.0.1."""
    from dns_server import TestDnsServer

    server = TestDnsServer().start()
    yield server
    server.stop()


@pytest.fixture
def dns_server(dns_server_session, app, monkeypatch):
    """The DNS server emptied for this test, and the app's DNS_RESOLVERS pointed at it."""
    dns_server_session.reset()
    monkeypatch.setitem(app.config, "DNS_RESOLVERS", [dns_server_session.address])
    yield dns_server_session
    dns_server_session.reset()


@pytest.fixture(scope="session")
def cloudflare_server():
    """The local Cloudflare DNS API (fakes/cloudflare_api) on loopback, with one token and the
    zone of the tests' PLATFORM_DOMAIN: ``cloudflare_server.settings`` are the app's settings
    for it (DNS_PROVIDER=cloudflare)."""
    from fakes.cloudflare_api import CloudflareState, start_in_thread

    zone_id, token = "0123456789abcdef0123456789abcdef", "cf-test-token"
    server = start_in_thread(state=CloudflareState(tokens={token}, zones={zone_id: "example.test"}))
    server.zone_id, server.token = zone_id, token
    server.settings = {"DNS_PROVIDER": "cloudflare", "CLOUDFLARE_API_TOKEN": token,
                       "CLOUDFLARE_ZONE_ID": zone_id, "CLOUDFLARE_API_BASE": server.api_base,
                       "EDGE_HOSTNAME": "edge.example.net"}
    yield server
    server.stop()


@pytest.fixture
def cloudflare_fake(cloudflare_server):
    """The local Cloudflare, emptied for this test."""
    cloudflare_server.state.reset()
    return cloudflare_server


@pytest.fixture(autouse=True)
def fresh_domain_routes():
    """Every test starts and ends with an empty in-process map of custom domains: a test that
    writes domain rows without ``invalidate`` cannot leave routes behind for the next one."""
    from tenants.domain_routing import CACHE

    CACHE.forget()
    yield
    CACHE.forget()
