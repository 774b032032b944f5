"""The team in the portal: everyone sees who is on it; owners and admins invite, change roles,
revoke invitations and remove members. The invitation mail is queued in the outbox with the
invitation and delivered by a job after commit."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, url_for
from flask import session as flask_session
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectChoice, SelectField
from wtforms.validators import DataRequired, Email, Length

from db.base import utcnow
from db.models import Invite, User
from db.models.tenants import ROLES, Role
from db.refusals import Refused
from plans.entitlements import over_limit_ids, usage
from tenants import team as team_rules
from tenants.scope import get_scoped
from web.extensions import db
from web.refusals import redirect_refusals, show_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import catalog
from worker.jobs.mail import deliver_soon
from worker.services import services

ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ROLES]


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class InviteForm(FlaskForm):
    email = EmailField("Email", filters=[_lower], validators=[
        DataRequired("Enter the address to invite."),
        Email("This does not look like an email address.", check_deliverability=False),
        Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.EDITOR)


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class RemoveForm(FlaskForm):
    confirm = BooleanField("Yes, remove me")


def _actor() -> User:
    return get_scoped(db.session, User, g.tenant.id, current_user.user_id)


def _found(model, row_id: int):
    row = get_scoped(db.session, model, g.tenant.id, row_id)
    if row is None:
        abort(404, description="There is no such member or invitation on your team.")
    return row


def _page(form: InviteForm, status: int = 200):
    actor = _actor()
    form.role.choices = [choice for choice in ROLE_CHOICES
                         if choice.value in team_rules.assignable_roles(actor)]
    return render_template(
        "portal/team/index.html", form=form, actor=actor, now=utcnow(),
        members=team_rules.members(db.session, g.tenant.id),
        invites=team_rules.open_invites(db.session, g.tenant.id),
        usage=usage(db.session, catalog(), g.tenant, "users"), role_choices=form.role.choices,
        over_limit=over_limit_ids(db.session, catalog(), g.tenant, "users"),
        link_days=team_rules.INVITE_TTL.days), status


@bp.get("/team")
def team():
    return _page(InviteForm(formdata=None))


@bp.post("/team/invites")
def invite_member():
    form = InviteForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    show_refusals(form, lambda: _page(form, 422))
    row = team_rules.invite(db.session, catalog(), g.tenant, _actor(), form.email.data,
                            form.role.data, current_app.config["SECRET_KEY"])
    db.session.commit()  # the invitation with its queued mail (Redis down: the sweep sends it)
    deliver_soon(services().queues, team_rules.invite_mail_key(row.id))
    flash(f"Invitation sent to {row.email}. The link in it is valid for "
          f"{team_rules.INVITE_TTL.days} days.", "info")
    return redirect(url_for("portal.team"), code=303)


@bp.post("/team/invites/<int(max=2147483647):invite_id>/revoke")
def revoke_invite(invite_id: int):
    row = _found(Invite, invite_id)
    if row.accepted_at is not None:
        abort(404, description="This invitation was already accepted.")
    team_rules.revoke_invite(db.session, row)
    db.session.commit()
    flash(f"The invitation for {row.email} is revoked; its link no longer works.", "info")
    return redirect(url_for("portal.team"), code=303)


@bp.post("/team/members/<int(max=2147483647):member_id>/role")
def change_role(member_id: int):
    member = _found(User, member_id)
    form = RoleForm()
    redirect_refusals(url_for("portal.team"))
    if not form.validate_on_submit():
        raise Refused("Choose owner, admin or editor.", "role")
    team_rules.change_role(db.session, catalog(), _actor(), member, form.role.data)
    db.session.commit()
    flash(f"{member.email} is now {member.role}.", "info")
    return redirect(url_for("portal.team"), code=303)


@bp.post("/team/members/<int(max=2147483647):member_id>/remove")
def remove_member(member_id: int):
    member = _found(User, member_id)
    leaving = member.id == current_user.user_id
    redirect_refusals(url_for("portal.team"))
    team_rules.remove(db.session, _actor(), member, confirmed=RemoveForm().confirm.data)
    db.session.commit()
    if leaving:
        logout_user()
        flask_session.clear()
        flash(f"You have left the team of {g.tenant.company}.", "info")
        return redirect(url_for("auth.login"), code=303)
    flash(f"{member.email} is removed from the team and signed out.", "info")
    return redirect(url_for("portal.team"), code=303)
