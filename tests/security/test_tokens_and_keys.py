"""Links and keys that carry authority: onboarding, invitation, sign-in and reset links, and API
keys. Another tenant's ids are covered by tests/portal/test_isolation.py; here: another
tenant's tokens, tokens that are not genuine or used for another purpose, and keys that must
not work."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from db.base import utcnow
from db.models import Signup, User
from tenants import signin
from tenants import team as team_rules
from tenants.api_keys import create_key
from tenants.passwords import verify_password
from tenants.tokens import new_token, token_hash
from web.auth.views import RESET_TTL
from worker.services import services

import factories
from support import csrf_token


def owner_of(db_session, tenant) -> User:
    return db_session.scalar(select(User).where(User.email == tenant.owner_email))


def onboarding_page(db_session, tenant, entered: bool) -> str:
    """The address of the tenant's (ready) signup's onboarding page."""
    signup = db_session.get(Signup, tenant.signup_id)
    signup.portal_entered_at = utcnow() if entered else None
    db_session.commit()
    return f"/onboarding/{signup.id}"


def signed_in_company(browser) -> str | None:
    page = browser.get("/portal/")
    return page.get_data(as_text=True) if page.status_code == 200 else None


# Onboarding links

def test_another_tenants_used_onboarding_link_does_not_switch_the_account(app, db_session,
                                                                          owner_client):
    theirs = factories.tenant(app, db_session, company="Theirs Ltd")
    page = onboarding_page(db_session, theirs, entered=True)
    response = owner_client.post(f"{page}/enter",
                                 data={"csrf_token": csrf_token(owner_client, "/portal/")})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    shown = signed_in_company(owner_client)
    assert shown is not None and owner_client.tenant.company in shown and "Theirs Ltd" not in shown


def test_onboarding_links_that_are_not_genuine_sign_nobody_in(app, db_session, second_process):
    tenant = factories.tenant(app, db_session)
    genuine = onboarding_page(db_session, tenant, entered=False)
    signup = db_session.get(Signup, tenant.signup_id)
    browser = second_process.test_client()
    token = csrf_token(browser, "/login")
    for fake in (str(uuid.uuid4()), signup.id.upper(), signup.id[:-1], token_hash(signup.id),
                 signup.id + "0", new_token()):
        assert browser.get(f"/onboarding/{fake}").status_code == 404
        assert browser.get(f"/onboarding/{fake}/status").status_code == 404
        assert browser.post(f"/onboarding/{fake}/enter", data={"csrf_token": token}).status_code == 404
    # The genuine address without the browser that signed up: progress, and no sign-in.
    assert "Your site is live" in browser.get(genuine).get_data(as_text=True)
    refused = browser.post(f"{genuine}/enter", data={"csrf_token": token})
    assert refused.status_code == 302 and refused.headers["Location"] == "/login"
    assert signed_in_company(browser) is None
    # A signup that has not been paid yet: its page shows progress, it does not sign in.
    signup.status = "pending"
    db_session.commit()
    waiting = browser.post(f"{genuine}/enter", data={"csrf_token": token})
    assert waiting.status_code == 302 and waiting.headers["Location"] == genuine
    assert signed_in_company(browser) is None


# Invitations

def test_invitation_links_that_are_not_genuine_are_refused(app, db_session, second_process):
    tenant = factories.tenant(app, db_session)
    owner = owner_of(db_session, tenant)
    invite = team_rules.invite(db_session, services(app).catalog, tenant, owner,
                               "invitee@example.com", "admin", app.config["SECRET_KEY"])
    db_session.commit()
    genuine = team_rules.invite_token(app.config["SECRET_KEY"], invite.id)
    forged = [
        team_rules.invite_token("a guessed secret key", invite.id),  # right id, wrong key
        team_rules.invite_token(app.config["SECRET_KEY"], invite.id + 1),  # a neighbour's id
        hmac.new(app.config["SECRET_KEY"].encode(), str(invite.id).encode(),
                 hashlib.sha256).hexdigest(),
        invite.token_hash,  # what the database holds
        str(invite.id),
    ]
    browser = second_process.test_client()
    for fake in forged:
        assert browser.get(f"/invites/{fake}").status_code == 404, fake
        accepted = browser.post(f"/invites/{fake}", data={
            "password": "an invitee's passphrase", "csrf_token": csrf_token(browser, "/login")})
        assert accepted.status_code == 404, fake
    assert db_session.scalar(select(User).where(User.email == "invitee@example.com")) is None
    assert browser.get(f"/invites/{genuine}").status_code == 200  # the control


def test_another_tenants_invitation_makes_a_new_member_there_and_nothing_more(app, db_session,
                                                                            owner_client):
    """Accepting B's invitation while signed in to A: a new member of B with the invited
    address and role; the signed-in owner of A is neither moved nor given B's access."""
    theirs = factories.tenant(app, db_session, company="Theirs Ltd")
    invite = team_rules.invite(db_session, services(app).catalog, theirs,
                               owner_of(db_session, theirs), "joiner@example.com", "editor",
                               app.config["SECRET_KEY"])
    db_session.commit()
    me = owner_of(db_session, owner_client.tenant)
    link = f"/invites/{team_rules.invite_token(app.config['SECRET_KEY'], invite.id)}"
    response = owner_client.post(link, data={"password": "the joiner's passphrase",
                                             "csrf_token": csrf_token(owner_client, link)})
    assert response.status_code == 303
    db_session.refresh(me)
    assert (me.tenant_id, me.role) == (owner_client.tenant.id, "owner")
    joiner = db_session.scalar(select(User).where(User.email == "joiner@example.com"))
    assert (joiner.tenant_id, joiner.role) == (theirs.id, "editor")
    page = signed_in_company(owner_client)
    assert "Theirs Ltd" in page and owner_client.tenant.company not in page
    assert owner_client.get("/portal/api-keys").status_code == 403  # an editor there, no more


# Sign-in and reset links

def test_a_link_works_only_for_its_purpose(app, db_session, second_process):
    tenant = factories.tenant(app, db_session)
    owner = owner_of(db_session, tenant)
    welcome = signin.issue(db_session, owner, "welcome", signin.WELCOME_TTL)
    reset = signin.issue(db_session, owner, "reset", RESET_TTL)
    db_session.commit()
    browser = second_process.test_client()
    token = csrf_token(browser, "/login")
    # A reset link at the sign-in address does not sign in.
    assert browser.post(f"/signin/{reset}", data={"csrf_token": token}).headers["Location"] == "/login"
    assert signed_in_company(browser) is None
    # A welcome link at the reset address does not change the password.
    browser.post(f"/password/reset/{welcome}", data={"password": "a takeover passphrase",
                                                     "csrf_token": token})
    db_session.refresh(owner)
    assert verify_password(owner.password_hash, factories.PASSWORD)
    assert signed_in_company(browser) is None
    # The stored hash is not the link.
    for fake in (token_hash(welcome), token_hash(reset)):
        assert browser.post(f"/signin/{fake}", data={"csrf_token": token}).headers["Location"] == "/login"
    assert signed_in_company(browser) is None
    # Each still works once for its own purpose (the refusals above did not use them up).
    assert browser.post(f"/signin/{welcome}", data={"csrf_token": token}).headers["Location"] == "/portal/"


def test_a_password_reset_revokes_the_accounts_other_sign_in_and_reset_links(app, db_session,
                                                                             second_process):
    """Resetting the password is what a person does when they fear someone else got in; the
    reset ends every session (accounts.set_password), so it must also end the sessions still
    waiting in unused links: an older reset mail, the welcome mail."""
    tenant = factories.tenant(app, db_session)
    owner = owner_of(db_session, tenant)
    welcome = signin.issue(db_session, owner, "welcome", signin.WELCOME_TTL)
    older_reset = signin.issue(db_session, owner, "reset", RESET_TTL)
    reset = signin.issue(db_session, owner, "reset", RESET_TTL)
    db_session.commit()
    browser = second_process.test_client()
    link = f"/password/reset/{reset}"
    assert browser.post(link, data={"password": "the owner's new passphrase",
                                    "csrf_token": csrf_token(browser, link)}).status_code == 302
    intruder = second_process.test_client()
    token = csrf_token(intruder, "/login")
    intruder.post(f"/password/reset/{older_reset}", data={"password": "the intruder's passphrase",
                                                          "csrf_token": token})
    intruder.post(f"/signin/{welcome}", data={"csrf_token": token})
    db_session.refresh(owner)
    leftovers = {"older reset link changed the password":
                 verify_password(owner.password_hash, "the intruder's passphrase"),
                 "welcome link still signs in": signed_in_company(intruder) is not None}
    happened = [what for what, happened in leftovers.items() if happened]
    assert not happened, happened


# API keys

def api(browser, path, key=None, **headers):
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return browser.get(path, headers=headers)


def test_keys_that_are_not_genuine_are_refused(app, db_session, client):
    mine, theirs = factories.tenant(app, db_session), factories.tenant(app, db_session)
    _row, my_key = create_key(db_session, mine.id, "mine")
    _row, their_key = create_key(db_session, theirs.id, "theirs")
    db_session.commit()
    _cz, my_prefix, my_secret = my_key.split("_", 2)
    _cz, their_prefix, their_secret = their_key.split("_", 2)
    for fake in (f"cz_{my_prefix}_{their_secret}",  # my public prefix, their secret
                 f"cz_{their_prefix}_{my_secret}",
                 f"cz_{my_prefix}_{my_secret[:-1]}",
                 f"cz_{my_prefix}_",
                 f"cz_{my_prefix}",
                 hashlib.sha256(my_key.encode()).hexdigest()):  # what the database holds
        response = api(client, "/api/v1/pages", fake)
        assert response.status_code == 401, fake
    # The key is taken from the Authorization header only.
    assert client.get(f"/api/v1/pages?api_key={my_key}").status_code == 401
    assert api(client, "/api/v1/pages", **{"X-API-Key": my_key}).status_code == 401
    assert api(client, "/api/v1/pages", my_key).status_code == 200  # the control


def _suspended(tenant):
    tenant.billing_state, tenant.suspended_at = "suspended", utcnow()


def _closed(tenant):
    tenant.billing_state = "closed"


def _grace_over(tenant):
    tenant.billing_state, tenant.grace_until = "past_due", utcnow() - timedelta(minutes=1)


@pytest.mark.parametrize("state", [_suspended, _closed, _grace_over],
                         ids=["suspended", "closed", "past due after grace"])
def test_keys_of_a_tenant_that_may_not_use_the_api_are_refused(app, db_session, client, state):
    """tests/billing/test_dunning.py covers /api/v1/pages of a suspended tenant; here every
    route, and every state that ends the API."""
    tenant = factories.tenant(app, db_session, plan="professional")
    _row, key = create_key(db_session, tenant.id, "k")
    db_session.commit()
    routes = ["/api/v1/pages", "/api/v1/pages/1", "/api/v1/products", "/api/v1/products/1"]
    assert api(client, "/api/v1/pages", key).status_code == 200  # the control
    state(tenant)
    db_session.commit()
    for route in routes:
        response = api(client, route, key)
        assert response.status_code == 403 and response.is_json, route
        assert "data" not in response.get_json()
