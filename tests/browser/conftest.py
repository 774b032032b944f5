"""Fixtures of the browser walk-through: the storefront on a real loopback HTTP server with
``PLATFORM_DOMAIN="localhost"`` (so tenant sites answer at ``http://<subdomain>.localhost:<port>/``
in Chromium), and a page of Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from worker.services import services

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WEBHOOK_SECRET = "whsec_test_current"


@pytest.fixture
def storefront(make_app, stripe_fake, redis):
    """The app on a real HTTP server on loopback, its tenant sites under ``localhost``, with the
    local Stripe (emptied, catalog synced) delivering signed webhooks to it. Data is committed
    for real: the test cleans up what it creates (support.purge). The local Stripe is emptied
    again afterwards, since the walk-through moves its clock."""
    from werkzeug.serving import make_server

    from billing.catalog_sync import sync_catalog

    from support import http, set_public_url

    live = make_app(PLATFORM_DOMAIN="localhost", JOB_RETRY_INTERVALS=(0, 0, 0))
    server = make_server("127.0.0.1", 0, live, threaded=True)
    live.config["PORT"] = server.server_port
    set_public_url(live, f"http://localhost:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, name="browser-storefront", daemon=True)
    thread.start()

    def fresh_stripe():
        # Other tests' subscriptions must not renew (and send events here) when the clock moves.
        http.post(f"{stripe_fake.url}/_test/reset")
        sync_catalog(services(live).stripe, services(live).catalog)

    fresh_stripe()
    http.post(f"{stripe_fake.url}/_test/webhooks", data={
        "url": f"http://127.0.0.1:{server.server_port}/webhooks/stripe", "secret": WEBHOOK_SECRET})
    http.post(f"{stripe_fake.url}/_test/webhooks", data={
        "url": f"http://127.0.0.1:{server.server_port}/webhooks/stripe/connect",
        "secret": "whsec_test_connect", "connect": "true"})
    try:
        yield live
    finally:
        http.delete(f"{stripe_fake.url}/_test/webhooks")
        stripe_fake.wait_idle(10)
        fresh_stripe()
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.fixture
def chromium_page():
    """A fresh page in Debian's headless Chromium (Playwright never downloads a browser here)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser walk-through needs Debian's Chromium. "
                    "`make test` installs it (apt-get install chromium).", pytrace=False)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
            context.close()
        finally:
            browser.close()
    finally:
        playwright.stop()


@dataclass(frozen=True)
class Owner:
    email: str
    site: str  # the tenant site's address, without a trailing slash


@pytest.fixture
def site_owner(storefront, request):
    """A live tenant with an editor besides its owner, made by the factories (committed,
    deleted afterwards), named by the test module's ``COMPANY``, on its ``PLAN`` (default
    Professional), in its ``LANGUAGES`` if it has them (default: the site's one)."""
    import factories
    from support import purge

    engine = services(storefront).database.engine
    with Session(engine) as session:
        tenant = factories.tenant(storefront, session,
                                  plan=getattr(request.module, "PLAN", "professional"),
                                  company=request.module.COMPANY)
        subdomain, email = tenant.subdomain, tenant.owner_email
        tenant.languages = list(getattr(request.module, "LANGUAGES", tenant.languages))
        factories.user(session, tenant, role="editor")
    try:
        yield Owner(email, f"http://{subdomain}.localhost:{storefront.config['PORT']}")
    finally:
        purge(engine, [subdomain])

