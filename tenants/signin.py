"""Single-use sign-in links: welcome mail, onboarding hand-off, password reset."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.base import utcnow
from db.messages import N_
from db.models import LoginToken, User
from db.refusals import Refused
from tenants.tokens import new_token, token_hash

WELCOME = "welcome"  # the purpose of the welcome mail's link
WELCOME_TTL = timedelta(days=7)


def derived_token(secret: str, key: str) -> str:
    """The same token for the same key: a retried mail carries the link of the first try."""
    return hmac.new(secret.encode(), f"signin:{key}".encode(), hashlib.sha256).hexdigest()


def issue(session: Session, user: User, purpose: str, ttl: timedelta,
          token: str | None = None) -> str:
    """Store the hash of a (given or new) token for this user; return the token. Flushes."""
    token = token or new_token()
    session.execute(
        insert(LoginToken)
        .values(tenant_id=user.tenant_id, user_id=user.id, purpose=purpose,
                token_hash=token_hash(token), expires_at=utcnow() + ttl)
        .on_conflict_do_nothing(index_elements=["token_hash"])
    )
    session.flush()
    return token


def redeem(session: Session, token: str, purposes: tuple[str, ...]) -> User:
    """Use the link once: return its user, or raise ``Refused``. Flushes."""
    row = session.scalar(
        select(LoginToken).where(LoginToken.token_hash == token_hash(token),
                                 LoginToken.purpose.in_(purposes)).with_for_update()
    )
    if row is None:
        raise Refused(N_("This link is not valid. Please sign in with your email and password."))
    if row.used_at is not None:
        raise Refused(N_("This link was already used. Please sign in with your email and "
                         "password."))
    if row.expires_at <= utcnow():
        raise Refused(N_("This link has expired. Please sign in or reset your password."))
    row.used_at = utcnow()
    session.flush()
    return session.get(User, row.user_id)
