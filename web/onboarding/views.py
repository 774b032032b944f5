"""The page a new customer waits on after Checkout: progress, then into the portal."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, url_for
from sqlalchemy import select

from db.base import utcnow
from db.models import Signup, Tenant, User
from tenants.onboarding import progress
from tenants.signups import by_token
from web.auth.session_user import sign_in
from web.extensions import db
from web.onboarding import bp


def _signup(token: str) -> Signup:
    signup = by_token(db.session, token)
    if signup is None:
        abort(404, description="This onboarding link is not known. Check the address, or sign in.")
    return signup


@bp.get("/onboarding/<token>")
def progress_page(token: str):
    signup = _signup(token)
    return render_template("onboarding/progress.html", signup=signup, token=token,
                           progress=progress(db.session, signup))


@bp.get("/onboarding/<token>/status")
def status(token: str):
    return jsonify(progress(db.session, _signup(token)).as_dict())


@bp.post("/onboarding/<token>/enter")
def enter_portal(token: str):
    signup = db.session.scalar(select(Signup).where(Signup.id == _signup(token).id)
                               .with_for_update())
    if signup.status != "ready":
        return redirect(url_for("onboarding.progress_page", token=token))
    if signup.portal_entered_at is not None:
        flash("This page already signed you in once. Please sign in with your email and "
              "password.", "info")
        return redirect(url_for("auth.login"))
    owner = db.session.scalar(select(User).join(Tenant, Tenant.id == User.tenant_id)
                              .where(Tenant.signup_id == signup.id, User.role == "owner"))
    signup.portal_entered_at = utcnow()
    db.session.commit()
    sign_in(owner)
    return redirect(url_for("portal.dashboard"))
