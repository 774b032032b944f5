"""The team in the portal: everyone sees who is on it; owners and admins invite, change roles,
revoke invitations and remove members. The invitation mail is queued in the outbox with the
invitation and delivered by a job after commit."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, url_for
from flask import session as flask_session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectChoice, SelectField
from wtforms.validators import DataRequired, Email, Length

from db.base import utcnow
from db.messages import N_
from db.models import Invite, User
from db.models.tenants import ROLES, Role
from db.refusals import Refused
from plans.entitlements import over_limit_ids, usage
from tenants import team as team_rules
from tenants.scope import get_scoped
from web.extensions import db
from web.i18n import current_language
from web.refusals import redirect_refusals, show_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import catalog
from worker.jobs.mail import deliver_soon
from worker.services import services

# The roles as the team page names them.
ROLE_NAMES = {Role.OWNER: _l("Owner"), Role.ADMIN: _l("Admin"), Role.EDITOR: _l("Editor")}
ROLE_CHOICES = [SelectChoice(role, ROLE_NAMES[role]) for role in ROLES]


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class InviteForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[_lower], validators=[
        DataRequired(_l("Enter the address to invite.")),
        Email(_l("This does not look like an email address."), check_deliverability=False),
        Length(max=254, message=_l("Use at most %(max)d characters."))])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.EDITOR)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class RemoveForm(FlaskForm):
    confirm = BooleanField(_l("Yes, remove me"))


def _actor() -> User:
    return get_scoped(db.session, User, g.tenant.id, current_user.user_id)


def _found(model, row_id: int):
    row = get_scoped(db.session, model, g.tenant.id, row_id)
    if row is None:
        abort(404, description=_("There is no such member or invitation on your team."))
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
        link_days=team_rules.INVITE_TTL.days, role_names=ROLE_NAMES), status


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
                            form.role.data, current_app.config["SECRET_KEY"],
                            language=current_language())  # the mail's: the inviter's language
    db.session.commit()  # the invitation with its queued mail (Redis down: the sweep sends it)
    deliver_soon(services().queues, team_rules.invite_mail_key(row.id))
    flash(_("Invitation sent to %(email)s. The link in it is valid for %(days)s days.",
            email=row.email, days=team_rules.INVITE_TTL.days), "info")
    return redirect(url_for("portal.team"), code=303)


@bp.post("/team/invites/<int(max=2147483647):invite_id>/revoke")
def revoke_invite(invite_id: int):
    row = _found(Invite, invite_id)
    if row.accepted_at is not None:
        abort(404, description=_("This invitation was already accepted."))
    team_rules.revoke_invite(db.session, row)
    db.session.commit()
    flash(_("The invitation for %(email)s is revoked; its link no longer works.",
            email=row.email), "info")
    return redirect(url_for("portal.team"), code=303)


@bp.post("/team/members/<int(max=2147483647):member_id>/role")
def change_role(member_id: int):
    member = _found(User, member_id)
    form = RoleForm()
    redirect_refusals(url_for("portal.team"))
    if not form.validate_on_submit():
        raise Refused(N_("Choose owner, admin or editor."), "role")
    team_rules.change_role(db.session, catalog(), _actor(), member, form.role.data)
    db.session.commit()
    flash(_("%(email)s is now %(role)s.", email=member.email,
            role=str(ROLE_NAMES[member.role]).lower()), "info")
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
        flash(_("You have left the team of %(company)s.", company=g.tenant.company), "info")
        return redirect(url_for("auth.login"), code=303)
    flash(_("%(email)s is removed from the team and signed out.", email=member.email), "info")
    return redirect(url_for("portal.team"), code=303)
