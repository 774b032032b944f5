"""The onboarding page's one sign-in ("Enter your portal"), and when it is still allowed.

The page itself (progress) is addressed by the signup's id and shows nothing secret. Its
sign-in needs more than the address: the browser that sent the signup form (a random secret
in an HttpOnly cookie, of which the signup keeps the hash), a tenant that became ready only
minutes ago, a hand-off never used, and the owner created for this signup exactly as
provisioning left it: still an owner of that tenant, never signed in (password, welcome link
or reset), password never changed, never signed out. Anything else means the owner has other
ways in, and the page offers the normal sign-in instead.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.messages import N_, Message
from db.models import LoginToken, ProvisioningRun, ProvisioningStep, Signup, Tenant, User
from db.models.provisioning import StepOutcome
from db.models.signups import SignupStatus
from db.models.tenants import Role
from db.refusals import Refused
from tenants.tokens import token_hash

TTL = timedelta(minutes=15)
# A user row starts with session_version 1; sign-out and every password change raise it.
FIRST_SESSION_VERSION = 1

SIGN_IN_INSTEAD = "Please sign in with your email and password."


class NotReady(Exception):
    """The site is not live yet: the page shows its progress."""


def browser_key_matches(signup: Signup, browser_key: str | None) -> bool:
    return bool(browser_key and signup.browser_key_hash) and hmac.compare_digest(
        token_hash(browser_key), signup.browser_key_hash)


def ready_at(session: Session, signup: Signup) -> datetime | None:
    """When provisioning made the tenant live (its ``activate`` step finished)."""
    return session.scalar(
        select(ProvisioningStep.finished_at)
        .join(ProvisioningRun, ProvisioningRun.id == ProvisioningStep.run_id)
        .where(ProvisioningRun.signup_id == signup.id, ProvisioningStep.name == "activate",
               ProvisioningStep.outcome == StepOutcome.DONE))


def untouched_owner(session: Session, signup: Signup) -> User | None:
    """The owner that provisioning created for this signup, if nothing has happened to it."""
    used_link = exists().where(LoginToken.user_id == User.id, LoginToken.used_at.is_not(None))
    return session.scalar(
        select(User).join(Tenant, Tenant.id == User.tenant_id)
        .where(Tenant.signup_id == signup.id,
               func.lower(User.email) == signup.email.lower(),
               User.role == Role.OWNER,
               User.password_hash == signup.password_hash,  # provisioning copies it
               User.last_login_at.is_(None),
               User.session_version == FIRST_SESSION_VERSION,
               ~used_link))


def refusal(session: Session, signup: Signup, browser_key: str | None,
            ttl: timedelta = TTL, now: datetime | None = None) -> str | None:
    """Why the page may not sign in now, or None when it may. Raises ``NotReady``."""
    if signup.status != SignupStatus.READY:
        raise NotReady(signup.id)
    if not browser_key_matches(signup, browser_key):
        return N_("This page signs in only the browser that sent the signup form. "
                  "Please sign in with your email and password.")
    if signup.portal_entered_at is not None:
        return N_("This page already signed you in once. "
                  "Please sign in with your email and password.")
    since = ready_at(session, signup)
    if since is None or (now or utcnow()) - since >= ttl:
        return Message(N_("This page signs you in only during the first %(minutes)s minutes "
                          "after your site is ready. Please sign in with your email and "
                          "password."), minutes=int(ttl.total_seconds() // 60))
    if untouched_owner(session, signup) is None:
        return N_("Your account has been used since (a sign-in, a new password or a change in "
                  "the team), so this page no longer signs you in. Please sign in with your "
                  "email and password.")
    return None


def redeem(session: Session, signup_id: str, browser_key: str | None,
           ttl: timedelta = TTL) -> User:
    """Use the hand-off once: the owner to sign in. Raises ``NotReady`` or ``Refused``.
    Flushes; the caller commits before signing in."""
    # Re-read under the row lock: a concurrent use that committed first is seen as used.
    signup = session.scalar(select(Signup).where(Signup.id == signup_id).with_for_update()
                            .execution_options(populate_existing=True))
    problem = refusal(session, signup, browser_key, ttl)
    if problem:
        raise Refused(problem)
    owner = untouched_owner(session, signup)
    signup.portal_entered_at = utcnow()
    session.flush()
    return owner
