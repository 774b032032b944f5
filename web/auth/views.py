from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import (
    session as flask_session,
)
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required, logout_user

from db.messages import N_
from tenants import accounts, password_reset, signin
from web.auth import bp
from web.auth.forms import LoginForm, NewPasswordForm, ResetRequestForm
from web.auth.session_user import sign_in
from web.auth.throttle import LoginThrottle
from web.extensions import db
from web.refusals import redirect_refusals
from worker.jobs.mail import deliver_soon
from worker.services import services

RESET_TTL = password_reset.RESET_TTL
NEUTRAL_RESET = N_("If an account exists for that address, we have sent a link to reset the "
                   "password. It is valid for one hour.")


def safe_next(target: str | None, fallback: str = "portal.dashboard") -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative '//' or '\\'.
    Anything else: the ``fallback`` endpoint."""
    if not target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return url_for(fallback)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return url_for(fallback)
    return target


def throttle() -> LoginThrottle:
    return LoginThrottle(services().redis)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        address = request.remote_addr or "unknown"
        wait = throttle().retry_after(form.email.data, address)
        if wait:
            minutes = wait // 60 + 1
            flash(ngettext("Too many failed attempts. Please wait %(num)s minute or reset your "
                           "password.", "Too many failed attempts. Please wait %(num)s minutes "
                           "or reset your password.", minutes), "error")
            return render_template("auth/login.html", form=form), 429
        user = accounts.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            throttle().failed(form.email.data, address)
            flash(gettext("The email or password is not right."), "error")
            return render_template("auth/login.html", form=form), 401
        db.session.commit()
        throttle().succeeded(form.email.data, address)
        sign_in(user)
        return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
@login_required
def logout():
    accounts.end_sessions(db.session, current_user.user_id)
    db.session.commit()
    logout_user()
    flask_session.clear()
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/signin/<token>")
def signin_link(token: str):
    """The welcome mail's link: shows a button, so mail scanners fetching it do not use it."""
    return render_template("auth/signin_link.html", token=token)


@bp.post("/signin/<token>")
def use_signin_link(token: str):
    redirect_refusals(url_for("auth.login"), "warning", 302)
    user = signin.redeem(db.session, token, (signin.WELCOME,))
    db.session.commit()
    sign_in(user)
    flash(gettext("Welcome! You are signed in."), "info")
    return redirect(url_for("portal.dashboard"))


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        # Same answer, same work (one outbox row, one enqueue) whether or not the address has
        # an account: the delivery looks the user up. Redis down: the mail sweep sends it.
        key = password_reset.request_reset(db.session, form.email.data, uuid.uuid4().hex)
        db.session.commit()
        deliver_soon(services().queues, key)
        flash(gettext(NEUTRAL_RESET), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form), 422 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    form = NewPasswordForm()
    if form.validate_on_submit():
        redirect_refusals(url_for("auth.reset_request"), "warning", 302)
        user = signin.redeem(db.session, token, ("reset",))
        accounts.set_password(db.session, user, form.password.data)
        db.session.commit()
        throttle().succeeded(user.email, request.remote_addr or "unknown")  # the lock-out ends
        sign_in(user)
        flash(gettext("Your password is changed."), "info")
        return redirect(url_for("portal.dashboard"))
    return render_template("auth/reset_password.html", form=form, token=token), \
        422 if form.errors else 200
