"""Checking credentials, changing passwords, and each person's own language."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.languages import LANGUAGE_NAMES, UI_LANGUAGES
from db.messages import N_, Message
from db.models import LoginToken, User
from db.refusals import Refused
from tenants import signin
from tenants.passwords import hash_password, needs_rehash, verify_password
from tenants.scope import get_scoped

# Verified against when the email is unknown, so both answers take as long.
_DUMMY_HASH = hash_password("not-a-real-password-for-timing")


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user when the password is right, else None. Upgrades outdated hashes. Flushes."""
    user = find_user(session, email)
    if user is None or not user.password_hash:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    # Whoever knows the password no longer needs the welcome mail's link: it stops signing in.
    session.execute(update(LoginToken).where(
        LoginToken.user_id == user.id, LoginToken.purpose == signin.WELCOME,
        LoginToken.used_at.is_(None)).values(used_at=user.last_login_at))
    session.flush()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """New password; every existing session and unused sign-in or reset link ends. Flushes."""
    user.password_hash = hash_password(password)
    user.session_version += 1
    session.execute(update(LoginToken).where(LoginToken.user_id == user.id,
                                             LoginToken.used_at.is_(None)).values(used_at=utcnow()))
    session.flush()


def end_sessions(session: Session, user_id: int) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.session_version += 1
        session.flush()


def set_language(session: Session, tenant_id: int, user_id: int, code: str | None) -> User:
    """The signed-in person's own language for the portal and their mails (only their own row:
    the caller passes the session's user). Raises ``Refused`` for a language the product does
    not speak. Flushes."""
    if code not in UI_LANGUAGES:
        raise Refused(Message(N_("Choose %(first)s or %(second)s."),
                              first=LANGUAGE_NAMES[UI_LANGUAGES[0]],
                              second=LANGUAGE_NAMES[UI_LANGUAGES[1]]), "language")
    user = get_scoped(session, User, tenant_id, user_id)
    if user is None:
        raise Refused(N_("Your account could not be found. Please sign in again."), status=403)
    user.language = code
    session.flush()
    return user
