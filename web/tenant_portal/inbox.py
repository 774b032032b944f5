"""The inbox: messages visitors sent through the site's contact form. Everyone on the team may
read them and mark them handled; deleting and exporting them is for managers (roles.py). Each
member switches here whether new messages are mailed to them (only their own setting)."""

from __future__ import annotations

from flask import abort, flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from redis.exceptions import RedisError
from wtforms import BooleanField

from db.models import ContactSubmission, User
from tenants import contact, notifications
from tenants.scope import get_scoped
from web.extensions import db
from web.refusals import show_refusals
from web.tenant_portal import bp
from worker.services import services


def _message(submission_id: int) -> ContactSubmission:
    row = get_scoped(db.session, ContactSubmission, g.tenant.id, submission_id)
    if row is None:
        abort(404, description=_("There is no such message."))
    return row


def _private(response):
    response.headers["Cache-Control"] = "no-store"  # visitors' addresses and words
    return response


def _spam_blocked() -> int | None:
    """How much spam the site's form turned away; None (the line is left out) without Redis."""
    try:
        return contact.spam_count(services().redis, g.tenant.id)
    except RedisError:
        return None


class NotificationsForm(FlaskForm):
    contact_notifications = BooleanField(_l("Mail me new messages from the contact form"))


def _me() -> User | None:
    return get_scoped(db.session, User, g.tenant.id, current_user.user_id)


def _inbox_page(form: NotificationsForm, status: int = 200):
    messages = contact.inbox(db.session, g.tenant.id)
    return _private(make_response(render_template(
        "portal/inbox/index.html", messages=messages, spam_blocked=_spam_blocked(),
        unhandled=sum(1 for row in messages if row.handled_at is None),
        notifications=form), status))


@bp.get("/inbox")
def inbox():
    me = _me()
    return _inbox_page(NotificationsForm(
        formdata=None, contact_notifications=me is not None and me.contact_notifications))


@bp.post("/inbox/notifications")
def save_notifications():
    """The signed-in member's own setting: the form names no user, so no one else's changes."""
    form = NotificationsForm()
    if not form.validate_on_submit():
        return _inbox_page(form, 400)
    show_refusals(form, lambda: _inbox_page(form, 403))
    notifications.set_contact_notifications(db.session, g.tenant.id, current_user.user_id,
                                            form.contact_notifications.data)
    db.session.commit()
    flash(_("New messages from the contact form are now mailed to you.")
          if form.contact_notifications.data else
          _("New messages from the contact form are no longer mailed to you. They still show "
            "up here."), "info")
    return redirect(url_for("portal.inbox"), code=303)


@bp.get("/inbox/<int(max=2147483647):submission_id>")
def inbox_message(submission_id: int):
    return _private(make_response(render_template("portal/inbox/message.html",
                                                  message=_message(submission_id))))


@bp.post("/inbox/<int(max=2147483647):submission_id>/handled")
def mark_message_handled(submission_id: int):
    row = _message(submission_id)
    contact.mark_handled(row)
    db.session.commit()
    flash(_("The message from %(name)s is marked handled.", name=row.name), "info")
    return redirect(url_for("portal.inbox"), code=303)


@bp.post("/inbox/<int(max=2147483647):submission_id>/delete")
def delete_message(submission_id: int):
    row = _message(submission_id)
    name = row.name
    db.session.delete(row)
    db.session.commit()
    flash(_("The message from %(name)s is deleted.", name=name), "info")
    return redirect(url_for("portal.inbox"), code=303)


@bp.get("/inbox/export.csv")
def export_inbox():
    response = make_response(contact.export_csv(contact.inbox(db.session, g.tenant.id)))
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = 'attachment; filename="messages.csv"'
    return _private(response)
