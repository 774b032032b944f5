"""Accepting a team invitation: the invitee, who has no account yet, chooses a password and
is signed in. Opening the link (GET) changes nothing, so mail scanners cannot use it up."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, ValidationError

from tenants import team as team_rules
from tenants.passwords import password_problem
from web.auth import bp
from web.auth.session_user import sign_in
from web.extensions import db


class AcceptForm(FlaskForm):
    password = PasswordField("Choose a password", validators=[DataRequired("Choose a password.")])
    related: tuple[str, ...] = ()  # words the password must not contain: email, company

    def validate_password(self, field):
        problem = password_problem(field.data or "", *self.related)
        if problem:
            raise ValidationError(problem)


def _problem(exc: team_rules.InviteProblem):
    db.session.rollback()
    return render_template("auth/invite_problem.html", message=exc.message), exc.status


@bp.route("/invites/<token>", methods=["GET", "POST"])
def accept_invite(token: str):
    try:
        invite, tenant = team_rules.open_invite(db.session, token)
    except team_rules.InviteProblem as exc:
        return _problem(exc)
    form = AcceptForm()
    form.related = (invite.email, tenant.company)
    if form.validate_on_submit():
        try:
            user = team_rules.accept(db.session, current_app.extensions["catalog"], token,
                                     form.password.data)
        except team_rules.InviteProblem as exc:
            return _problem(exc)
        db.session.commit()
        sign_in(user)
        flash(f"Welcome to the team of {tenant.company}! You are signed in.", "info")
        return redirect(url_for("portal.dashboard"), code=303)
    return render_template("auth/invite_accept.html", form=form, invite=invite, company=tenant.company), \
        422 if form.errors else 200
