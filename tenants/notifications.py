"""Who is mailed the contact form's messages: every member who opted in.

Each member switches their own setting (``users.contact_notifications``) on the inbox page;
nobody can switch it for someone else. Owners start opted in (the owner was always mailed),
admins and editors opted out, whether they joined by invitation or were added otherwise.
With nobody opted in a message is still stored and shown in the inbox, only no mail goes out.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.messages import N_
from db.models import User
from db.refusals import Refused
from tenants.scope import get_scoped, scoped


def recipients(session: Session, tenant_id: int) -> list[User]:
    """The tenant's members who get a mail for each message, oldest member first."""
    return list(session.scalars(scoped(User, tenant_id).where(User.contact_notifications)
                                .order_by(User.id)))


def set_contact_notifications(session: Session, tenant_id: int, user_id: int, on: bool) -> User:
    """Switch the signed-in member's own mails for new messages on or off. Flushes."""
    user = get_scoped(session, User, tenant_id, user_id)
    if user is None:
        raise Refused(N_("Your account could not be found. Please sign in again."), status=403)
    user.contact_notifications = bool(on)
    session.flush()
    return user
