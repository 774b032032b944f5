"""The signed-in user, as Flask-Login sees it.

The session stores ``"<user id>:<session version>"``. Logout and password changes bump the
version, so a cookie copied before is refused afterwards even though it is still signed.
"""

from __future__ import annotations

from flask import session as flask_session
from flask_login import UserMixin, login_user

from db.messages import N_
from db.models import User
from db.models.tenants import Role
from web.extensions import db, login_manager


class SessionUser(UserMixin):
    def __init__(self, user: User):
        self.user_id = user.id
        self.tenant_id = user.tenant_id
        self.email = user.email
        self.role = user.role
        self.version = user.session_version

    def get_id(self) -> str:
        return f"{self.user_id}:{self.version}"

    @property
    def manages_account(self) -> bool:
        """Billing, team and API keys are for owners and admins."""
        return self.role in (Role.OWNER, Role.ADMIN)


@login_manager.user_loader
def load_user(identifier: str) -> SessionUser | None:
    user_id, _, version = identifier.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return SessionUser(user)


def sign_in(user: User) -> None:
    """Start a new session for this user (the old session's contents are dropped)."""
    flask_session.clear()
    login_user(SessionUser(user))


login_manager.login_view = "auth.login"
login_manager.login_message = N_("Please sign in to continue.")  # base.html translates flashes
login_manager.login_message_category = "info"
