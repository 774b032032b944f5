"""Signing in and out: login, logout, single-use sign-in links, password reset."""

from flask import Blueprint, Flask

bp = Blueprint("auth", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    from web.auth import session_user  # noqa: F401  (registers the user loader)


from web.auth import invites, views  # noqa: E402,F401
