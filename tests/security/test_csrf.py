"""Cross-site request forgery: every state-changing route refuses a request without this
session's CSRF token, with the "Form expired" page and without changing anything. The Stripe
webhook (signed) and the JSON APIs (bearer keys and staff tokens, no cookies) are the only
exemptions."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from db.models import (
    ContactSubmission,
    MediaFile,
    Order,
    Page,
    Post,
    Product,
    Signup,
    Tenant,
    User,
)
from staff import accounts
from staff import invites as staff_invites
from tenants import signin
from tenants import team as team_rules
from tenants.api_keys import create_key
from web.auth.views import RESET_TTL
from worker.services import services

import factories
from security_support import FORM_EXPIRED, STATE_CHANGING, changes, png, snapshot, title
from support import csrf_token

EXEMPT_ENDPOINTS = {"webhooks.stripe_webhook",  # signed by Stripe instead
                    "webhooks.stripe_connect_webhook"}
EXEMPT_PREFIXES = ("/api/",)  # bearer keys, no cookies
# A superset of every form's fields, filled so that the action would really happen if the
# CSRF check let it through.
FORM = {"title": "Forged", "name": "Forged", "slug": "forged", "body": "forged", "text": "forged",
        "heading": "forged", "description": "forged", "price": "1.00", "stock": "1",
        "email": "forged@example.com", "role": "admin", "domain": "forged.example.org",
        "password": "a forged passphrase here", "company": "Forged", "subdomain": "forged-site",
        "template": "ecommerce", "terms": "y", "confirm": "y", "kind": "text", "published": "y"}


def live_values(app, db_session, tenant) -> dict:
    """Real URL values of this tenant, and live tokens, so a missing check would show."""
    owner = db_session.scalar(select(User).where(User.email == tenant.owner_email))
    pages = db_session.scalars(select(Page).where(Page.tenant_id == tenant.id).order_by(Page.id))
    page = next(p for p in pages if p.blocks and len(p.blocks) > 1)
    post = Post(tenant_id=tenant.id, slug="csrf-post", title="Post", body="x")
    product = Product(tenant_id=tenant.id, slug="csrf-product", name="Product", price_cents=100)
    media = MediaFile(tenant_id=tenant.id, filename="a.png", storage_name="0" * 32 + ".png",
                      content_type="image/png", size_bytes=10)
    submission = ContactSubmission(tenant_id=tenant.id, name="Visitor", email="v@example.com",
                                   message="Hello")
    order = Order(tenant_id=tenant.id, language="en", stripe_account_id="acct_csrf",
                  status="paid", number=1001, total_cents=1000, email="buyer@example.com")
    db_session.add_all([post, product, media, submission, order])
    member = factories.user(db_session, tenant, role="editor")
    key, _secret = create_key(db_session, tenant.id, "k")
    invite = team_rules.invite(db_session, services(app).catalog, tenant, owner,
                               "invitee@example.com", "editor", app.config["SECRET_KEY"])
    db_session.get(Signup, tenant.signup_id).portal_entered_at = None
    tokens = {
        "auth.accept_invite": team_rules.invite_token(app.config["SECRET_KEY"], invite.id),
        "auth.use_signin_link": signin.issue(db_session, owner, "welcome", signin.WELCOME_TTL),
        "auth.reset_password": signin.issue(db_session, owner, "reset", RESET_TTL),
        "admin.accept_invite": staff_invites.token(app.config["SECRET_KEY"], accounts.create(
            db_session, "csrf-staff@agency.example", "support", "a long staff passphrase 7")),
    }
    db_session.commit()
    return {"page_id": page.id, "index": 0, "direction": "down", "post_id": post.id,
            "product_id": product.id, "media_id": media.id, "invite_id": invite.id,
            "member_id": member.id, "signup_id": tenant.signup_id, "key_id": key.id,
            "submission_id": submission.id, "order_id": order.id, "tenant_id": tenant.id,
            "event_id": "evt_csrf", "lang": "en",
            "tokens": tokens}


def state_changing_rules(app):
    for rule in app.url_map.iter_rules():
        methods = rule.methods & STATE_CHANGING
        if methods and rule.endpoint not in EXEMPT_ENDPOINTS \
                and not rule.rule.startswith(EXEMPT_PREFIXES):
            for method in sorted(methods):
                yield rule, method


def url_of(rule, values) -> str:
    url = rule.rule
    for name in rule.arguments:
        value = values["tokens"][rule.endpoint] if name == "token" else values[name]
        url = re.sub(rf"<[^>]*\b{name}>", str(value), url)
    if rule.endpoint == "pricing.signup":
        url += "?plan=professional&interval=month"
    return url


def forged(client, method, url, token):
    """The request a hostile page would make the browser send (``token``: what it can put in
    the csrf_token field, None for nothing)."""
    data = dict(FORM) if token is None else {**FORM, "csrf_token": token}
    if url.endswith("/media/upload"):
        data["file"] = (io.BytesIO(png()), "forged.png")
        return client.open(url, method=method, data=data, content_type="multipart/form-data")
    return client.open(url, method=method, data=data)


def test_every_state_changing_route_refuses_a_request_without_the_sessions_token(
        app, db_session, redis, pro_owner, second_process):
    values = live_values(app, db_session, pro_owner.tenant)
    # A valid token, but of the attacker's own session.
    foreign = csrf_token(second_process.test_client(), "/login")
    own = csrf_token(pro_owner, "/portal/")
    # Not the last character: in base64 its low bits may be padding, so another letter can
    # decode to the same signature. One inside the signature always changes it.
    altered = own[:-10] + ("A" if own[-10] != "A" else "B") + own[-9:]
    before = snapshot(db_session, redis)
    tried, failures = set(), []
    for rule, method in state_changing_rules(app):
        url = url_of(rule, values)
        for label, token in (("no token", None), ("empty token", ""), ("garbage token", "x" * 40),
                             ("another session's token", foreign),
                             ("the token with one character changed", altered)):
            response = forged(pro_owner, method, url, token)
            if response.status_code != 400 or FORM_EXPIRED not in title(response):
                failures.append(f"{method} {url} with {label}: {response.status_code} {title(response)!r}")
        # A JSON body (which a hostile page could send with fetch) is refused before the
        # token is even looked at: browser forms are the only way into these routes.
        json_body = pro_owner.open(url, method=method, json=FORM)
        if json_body.status_code != 415:
            failures.append(f"{method} {url} with a JSON body: {json_body.status_code}")
        tried.add(rule.endpoint)
    assert not failures, "\n".join(failures)
    assert len(tried) >= 35, sorted(tried)  # the sweep really covered the routes
    assert changes(before, snapshot(db_session, redis)) == []
    # The owner is still signed in (logout was refused too) and the tokens are still unused.
    dashboard = pro_owner.get("/portal/")
    assert dashboard.status_code == 200 and pro_owner.tenant.company in dashboard.get_data(as_text=True)


def test_the_same_request_with_the_sessions_token_goes_through(app, db_session, pro_owner):
    """The control for the sweep above: the refusals are the CSRF check, not broken forms."""
    token = csrf_token(pro_owner, "/portal/pages/new")
    response = pro_owner.post("/portal/pages/new", data={"title": "Real", "slug": "real-page",
                                                         "csrf_token": token})
    assert response.status_code == 303
    assert db_session.scalar(select(Page).where(Page.tenant_id == pro_owner.tenant.id,
                                                Page.title == "Real")) is not None


def test_only_the_webhook_and_the_api_are_exempt(app):
    csrf = app.extensions["csrf"]
    # Flask-WTF keeps its exemptions in these two sets.
    assert csrf._exempt_views == {"web.webhooks.stripe_webhook",
                                  "web.webhooks.stripe_connect_webhook"}
    assert {blueprint.name for blueprint in csrf._exempt_blueprints} == {"api", "platform_api"}
    api_methods = {method for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
                   for method in rule.methods}
    assert not api_methods & STATE_CHANGING  # the tenants' exempt API only reads
    # The staff's platform API changes things, with a bearer token only (the test below).


def test_the_exempt_api_ignores_the_session_cookie(pro_owner):
    """The API skips CSRF because it authenticates with a bearer key only: a signed-in browser
    that a hostile page points at it gets nothing."""
    for path in ("/api/v1/pages", "/api/v1/products"):
        response = pro_owner.get(path)
        assert response.status_code == 401 and response.is_json


def test_the_exempt_platform_api_ignores_the_session_cookie(db_session, pro_owner):
    """The platform API's repairs skip CSRF because they take a staff bearer token only: a
    signed-in browser that a hostile page points at them changes nothing."""
    tenant_id = pro_owner.tenant.id
    for method, path in (("GET", "/api/platform/tenants"),
                         ("POST", f"/api/platform/tenants/{tenant_id}/suspend")):
        response = pro_owner.open(path, method=method, data={"reason": "forged"})
        assert response.status_code == 401 and response.is_json
    db_session.expire_all()
    assert db_session.get(Tenant, tenant_id).billing_state == "active"


def test_behind_https_a_token_from_another_site_is_refused(app, db_session, https_client):
    """Flask-WTF's strict referrer check: a form posted from another origin is refused even
    when the page got hold of a valid token."""
    tenant = factories.tenant(app, db_session)
    token = csrf_token(https_client, "/login")
    data = {"email": tenant.owner_email, "password": factories.PASSWORD, "csrf_token": token}
    refused = https_client.post("/login", data=data, headers={"Referer": "https://evil.example/login"})
    assert refused.status_code == 400 and FORM_EXPIRED in title(refused)
    assert https_client.get("/portal/").status_code == 302  # not signed in
    accepted = https_client.post("/login", data=data, headers={"Referer": "https://localhost/login"})
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/portal/"
