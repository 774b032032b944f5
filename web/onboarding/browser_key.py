"""The cookie that binds a signup to the browser that sent its form.

It holds a random secret (the signup keeps only its hash) and is HttpOnly, SameSite=Lax (it
comes along when Checkout sends the browser back) and, in production, Secure with the
``__Host-`` prefix, so no other host under the platform domain can set it. Nothing secret
travels in a URL: Checkout's return addresses carry only the signup's id.
"""

from __future__ import annotations

from flask import Response, current_app, request

from tenants.tokens import new_token, token_hash

MAX_AGE = 24 * 3600  # the page signs in only minutes after the site is ready; a day is plenty


def _name() -> str:
    return "__Host-contyzr-signup" if current_app.config["SESSION_COOKIE_SECURE"] \
        else "contyzr-signup"


def current() -> str | None:
    """The secret this browser holds, if any."""
    value = request.cookies.get(_name())
    return value if value and len(value) <= 64 else None


def mint() -> tuple[str, str]:
    """A fresh secret and its hash (a new one per form sent: a planted value is never kept)."""
    secret = new_token()
    return secret, token_hash(secret)


def give(response: Response, secret: str) -> Response:
    response.set_cookie(_name(), secret, max_age=MAX_AGE, path="/", httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def forget(response: Response) -> Response:
    response.delete_cookie(_name(), path="/", httponly=True, samesite="Lax",
                           secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
