"""Signing in to the back office: email and password, then the second factor (set up at the
first sign-in: a QR code for the authenticator app, then ten recovery codes shown once).
Wrong passwords and wrong codes count towards the same throttle as the portal's sign-in, and
every attempt is in the audit log."""

from __future__ import annotations

import time

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from db.models import StaffUser
from db.refusals import Refused
from staff import audit
from staff import second_factor as factor
from staff.accounts import check_password, signed_in
from web.admin import bp
from web.admin.session import begin, end
from web.auth.forms import LoginForm
from web.auth.throttle import LoginThrottle
from web.auth.views import safe_next
from web.extensions import db
from web.i18n import translated
from worker.services import services

PENDING_SECONDS = 300  # between the password and the second factor


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter the code.")),
                                               Length(max=40)])


def _throttle() -> LoginThrottle:
    return LoginThrottle(services().redis)


def _who(email: str) -> str:
    return f"staff:{email.strip().lower()}"  # apart from a tenant user with the same address


@bp.route("/login", methods=["GET", "POST"])
def login():
    form, address = LoginForm(), request.remote_addr or "unknown"
    if form.validate_on_submit():
        email = form.email.data
        wait = _throttle().retry_after(_who(email), address)
        staff = None if wait else check_password(db.session, email, form.password.data)
        if staff is None:
            _throttle().failed(_who(email), address)
            audit.record(db.session, None, "sign_in", outcome="refused", email=email,
                         address=address, step="password")
            db.session.commit()
            form.password.errors = [_("Too many attempts. Try again in a few minutes.") if wait
                                    else _("The email or password is not right.")]
            return render_template("admin/login.html", form=form), 429 if wait else 401
        end()
        session["staff_pending"], session["staff_pending_at"] = staff.id, time.time()
        return redirect(url_for("admin.second_factor", next=request.args.get("next")), code=303)
    return render_template("admin/login.html", form=form), 400 if form.errors else 200


def _pending() -> StaffUser | None:
    staff_id, since = session.get("staff_pending"), session.get("staff_pending_at", 0)
    if not staff_id or time.time() - since > PENDING_SECONDS:
        return None
    staff = db.session.get(StaffUser, staff_id)
    return staff if staff is not None and staff.disabled_at is None else None


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor():
    staff = _pending()
    if staff is None:
        end()
        flash(_("Sign in with your email and password first."), "info")
        return redirect(url_for("admin.login"), code=303)
    form, enrolling = CodeForm(), staff.totp_confirmed_at is None
    if enrolling:
        factor.begin_enrolment(staff)
        db.session.commit()

    def page(status=200):
        qr = factor.qr_svg(factor.provisioning_uri(staff)) if enrolling else None
        return render_template("admin/code.html", form=form, enrolling=enrolling, qr=qr,
                               secret=staff.totp_secret if enrolling else None), status

    if not form.validate_on_submit():
        return page(400 if form.errors else 200)
    address = request.remote_addr or "unknown"
    if _throttle().retry_after(_who(staff.email), address):
        form.code.errors = [_("Too many attempts. Try again in a few minutes.")]
        return page(429)
    try:
        if enrolling:
            codes = factor.confirm_enrolment(db.session, staff, form.code.data)
        elif not factor.check_code(staff, form.code.data):
            raise Refused(_l("That code is not right."), "code", 401)
    except Refused as refused:
        db.session.rollback()
        _throttle().failed(_who(staff.email), address)
        audit.record(db.session, staff, "sign_in", outcome="refused", address=address,
                     step="second factor")
        db.session.commit()
        form.code.errors = [translated(refused.message)]
        return page(refused.status)
    _throttle().succeeded(_who(staff.email), address)
    signed_in(staff)
    audit.record(db.session, staff, "sign_in", address=address,
                 step="enrolled" if enrolling else "second factor")
    db.session.commit()
    next_url = request.args.get("next")
    begin(staff)
    if enrolling:
        g.staff = staff
        return render_template("admin/recovery_codes.html", codes=codes)
    target = safe_next(next_url, "admin.overview")
    return redirect(target if target.startswith("/admin/") else url_for("admin.overview"),
                    code=303)


@bp.post("/logout")
def logout():
    audit.record(db.session, g.staff, "sign_out")
    db.session.commit()
    end()
    return redirect(url_for("admin.login"), code=303)
