"""Accepting a team invitation: the invitee, who has no account yet, chooses a password and
is signed in. Opening the link (GET) changes nothing, so mail scanners cannot use it up."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, ValidationError

from tenants import team as team_rules
from tenants.passwords import password_problem
from web.auth import bp
from web.auth.session_user import sign_in
from web.extensions import db
from web.i18n import translated
from web.refusals import render_refusals
from worker.services import services

# The roles as the invitation names them.
ROLE_NAMES = {"owner": _l("owner"), "admin": _l("admin"), "editor": _l("editor")}


class AcceptForm(FlaskForm):
    password = PasswordField(_l("Choose a password"),
                             validators=[DataRequired(_l("Choose a password."))])
    related: tuple[str, ...] = ()  # words the password must not contain: email, company

    def validate_password(self, field):
        problem = password_problem(field.data or "", *self.related)
        if problem:
            raise ValidationError(translated(problem))


@bp.route("/invites/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    render_refusals(lambda exc: (render_template("auth/invite_problem.html", message=exc.message),
                                 exc.status))
    invite, tenant = team_rules.open_invite(db.session, token)
    form = AcceptForm()
    form.related = (invite.email, tenant.company)
    if form.validate_on_submit():
        user = team_rules.accept(db.session, services().catalog, token, form.password.data)
        db.session.commit()
        sign_in(user)
        flash(gettext("Welcome to the team of %(company)s! You are signed in.",
                      company=tenant.company), "info")
        return redirect(url_for("portal.dashboard"), code=303)
    return render_template("auth/invite_accept.html", form=form, invite=invite,
                           company=tenant.company, role_names=ROLE_NAMES), \
        422 if form.errors else 200
