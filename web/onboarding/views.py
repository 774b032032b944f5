"""The page a new customer waits on after Checkout: progress, then into the portal once.

``/onboarding/<signup id>`` shows progress to anyone holding the address (the id is not a
secret: it only shows what is being set up). Signing in needs the browser that sent the
signup form and is allowed only briefly and only once (tenants/onboarding_link.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flask import abort, current_app, jsonify, redirect, render_template, url_for
from flask_babel import gettext

from db.models import Signup
from tenants import onboarding_link
from tenants.onboarding import Progress, progress
from tenants.signups import find
from web.auth.session_user import sign_in
from web.extensions import db
from web.i18n import translated
from web.onboarding import bp, browser_key
from web.refusals import redirect_refusals
from worker.services import services


def _signup(signup_id: str) -> Signup:
    signup = find(db.session, signup_id)
    if signup is None:
        abort(404, description=gettext("This onboarding page is not known. Check the address, "
                                       "or sign in."))
    return signup


def _ttl() -> timedelta:
    return timedelta(minutes=current_app.config["ONBOARDING_SIGNIN_MINUTES"])


def _refusal(signup: Signup, shown: Progress) -> str | None:
    """Why this browser may not enter the portal from the page (None: it may, or not ready)."""
    if not shown.ready:
        return None
    return translated(onboarding_link.refusal(db.session, signup, browser_key.current(), _ttl()))


def _progress(signup: Signup) -> Progress:
    """The signup's progress, its words in the visitor's language."""
    shown = progress(db.session, signup)
    return replace(shown, message=translated(shown.message),
                   stages=[stage | {"label": translated(stage["label"])} for stage in shown.stages])


@bp.get("/onboarding/<signup_id>")
def progress_page(signup_id: str):
    signup = _signup(signup_id)
    shown = _progress(signup)
    return render_template("onboarding/progress.html", signup=signup, progress=shown,
                           refusal=_refusal(signup, shown),
                           site_url=services().urls.site(signup.subdomain),
                           same_browser=onboarding_link.browser_key_matches(
                               signup, browser_key.current()))


@bp.get("/onboarding/<signup_id>/status")
def status(signup_id: str):
    """What the page shows next. Nothing secret: whether *this* browser may press "Enter your
    portal" (the button still needs its cookie and the session's form token) and, when it may
    not, the same reason the page itself shows."""
    signup = _signup(signup_id)
    shown = _progress(signup)
    refusal = _refusal(signup, shown)
    return jsonify(shown.as_dict() | {"may_enter": shown.ready and refusal is None,
                                      "signin_note": refusal})


@bp.post("/onboarding/<signup_id>/enter")
def enter_portal(signup_id: str):
    signup = _signup(signup_id)
    redirect_refusals(url_for("auth.login"), "info", 302)
    try:
        owner = onboarding_link.redeem(db.session, signup.id, browser_key.current(), _ttl())
    except onboarding_link.NotReady:
        db.session.rollback()
        return redirect(url_for("onboarding.progress_page", signup_id=signup_id))
    db.session.commit()
    sign_in(owner)
    return browser_key.forget(redirect(url_for("portal.dashboard")))
