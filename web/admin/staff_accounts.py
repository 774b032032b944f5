"""The back office's people: admins see the staff and invite new members
(``staff.invites``); an invitee chooses a password through the mailed link, then signs in and
sets up the second factor like everyone."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from db.models import StaffRole, StaffUser
from staff import audit, invites
from staff.accounts import MANAGE
from web.admin import bp
from web.admin.session import requires
from web.auth.forms import NewPasswordForm
from web.extensions import db
from web.i18n import translated
from web.refusals import redirect_refusals
from worker.jobs.mail import deliver_soon
from worker.services import services


@bp.route("/staff", methods=["GET", "POST"])
@requires(MANAGE)
def staff_members():
    if request.method == "POST":
        redirect_refusals(url_for("admin.staff_members"))
        email, role = (request.form.get("email") or "")[:254], request.form.get("role") or ""
        invited, key = invites.invite(db.session, g.staff, email, role)
        audit.record(db.session, g.staff, "staff_invite", invited=invited.email, role=role)
        db.session.commit()
        deliver_soon(services().queues, key)
        flash(_("%(email)s is invited; the link is on its way.", email=invited.email), "success")
        return redirect(url_for("admin.staff_members"), code=303)
    members = db.session.scalars(select(StaffUser).order_by(StaffUser.id)).all()
    return render_template("admin/staff.html", members=members, roles=list(StaffRole))


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    staff = invites.invited(db.session, services().secret_key, token[:100])
    if staff is None:
        return render_template("admin/invite_gone.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        redirect_refusals(request.path)
        invites.accept(staff, form.password.data)
        audit.record(db.session, staff, "staff_invite_accepted")
        db.session.commit()
        flash(_("Your password is set. Sign in to set up your authenticator app."), "success")
        return redirect(url_for("admin.login"), code=303)
    return render_template("admin/invite.html", form=form, staff=staff,
                           translated=translated), 400 if form.errors else 200
