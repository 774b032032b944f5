"""Who is signed in to the back office: a staff id in the session (apart from Flask-Login's
tenant user), with the time of the last request. A session idle for ``STAFF_IDLE_MINUTES``
ends; a disabled account ends at its next request.

Every ``/admin`` page but the sign-in ones needs a signed-in staff member; ``requires(action)``
then checks the role (``staff.accounts.may``) and audits a refusal.
"""

from __future__ import annotations

import time
from functools import wraps

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from limits import RateLimitItemPerMinute
from limits.errors import StorageError
from redis.exceptions import RedisError

from db.models import StaffUser
from staff import audit
from staff.accounts import may
from tenants.rate_limits import moving_window
from web.admin import bp
from web.extensions import db
from worker.services import services

OPEN_ENDPOINTS = {"admin.login", "admin.second_factor", "admin.accept_invite", "static"}


def begin(staff: StaffUser) -> None:
    """Signed in: a new session (nothing carried over from before), the clock started."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    session["staff_id"], session["staff_seen"] = staff.id, time.time()


def end() -> None:
    for key in ("staff_id", "staff_seen", "staff_pending", "staff_pending_at", "view_as"):
        session.pop(key, None)


def _idle_limit() -> float:
    return 60 * current_app.config["STAFF_IDLE_MINUTES"]


def active_staff() -> StaffUser | None:
    """The signed-in staff member, if the session is theirs and not idle; the clock restarts.
    An idle or disabled one is signed out (then None)."""
    staff_id, seen = session.get("staff_id"), session.get("staff_seen", 0)
    staff = db.session.get(StaffUser, staff_id) if staff_id else None
    if staff is None or staff.disabled_at is not None:
        end()
        return None
    if time.time() - seen > _idle_limit():
        end()
        flash(_("You were signed out after a while without activity. Sign in again."), "info")
        return None
    session["staff_seen"] = time.time()
    return staff


# Changes a signed-in staff member may make per minute: plenty for a person, a brake on a
# script or a stolen session. Beyond it: 429, audited once a window.
CHANGES_PER_MINUTE = 60
_CHANGES = RateLimitItemPerMinute(CHANGES_PER_MINUTE)


def _too_many_changes(staff: StaffUser) -> bool:
    try:
        limiter = moving_window(services().redis, "contyzr-staff-changes")
        if limiter.hit(_CHANGES, str(staff.id)):
            return False
        if limiter.get_window_stats(_CHANGES, str(staff.id)).remaining == 0 \
                and services().redis.set(f"contyzr-staff-changes:told:{staff.id}", 1, nx=True,
                                         ex=60):
            audit.record(db.session, staff, request.endpoint or "", outcome="refused",
                         problem="rate limited", path=request.path)
            db.session.commit()
        return True
    except (StorageError, RedisError):
        return False  # Redis away: staff are not locked out


@bp.before_request
def load_staff():
    g.staff = None
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    g.staff = active_staff()
    if g.staff is None:
        return redirect(url_for("admin.login", next=request.path))
    if request.method not in ("GET", "HEAD") and _too_many_changes(g.staff):
        return render_template("admin/forbidden.html", rate_limited=True), 429, {
            "Retry-After": "60"}
    return None


@bp.context_processor
def staff_may():
    """``may(action)`` in the back office's templates: what the signed-in role includes."""
    return {"may": lambda action: g.get("staff") is not None and may(g.staff, action)}


def requires(action: str):
    """The view is for roles that may ``action``; others get a 403, and it is audited."""
    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if not may(g.staff, action):
                audit.record(db.session, g.staff, request.endpoint or "", outcome="refused",
                             path=request.path, needs=action,
                             tenant_id=kwargs.get("tenant_id"))
                db.session.commit()
                return render_template("admin/forbidden.html"), 403
            return view(*args, **kwargs)
        return checked
    return decorate
