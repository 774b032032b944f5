"""Checking credentials and changing passwords."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import LoginToken, User
from tenants import signin
from tenants.passwords import hash_password, needs_rehash, verify_password

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
