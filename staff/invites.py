"""Staff invite staff: an admin names the address and the role; the invitee gets a link to
choose a password (the second factor is set up at the first sign-in, as for every account).

The link's token is derived from the account and its current password hash with the secret
key, never stored: choosing the password changes the hash, so the link works once; it expires
after ``INVITE_TTL``, and only for an account that never signed in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import MailLog, StaffUser
from db.refusals import Refused
from emails import mails
from emails.outbox import queue_mail
from links.urls import Urls
from staff import accounts
from tenants.passwords import hash_password, password_problem

INVITE_TTL = timedelta(days=3)
KIND = "staff_invite"


def invite(session: Session, inviter: StaffUser, email: str, role: str) -> tuple[StaffUser, str]:
    """The new account (no usable password yet) and the key of its invitation mail. Flushes."""
    staff = accounts.create(session, email, role, secrets.token_urlsafe(32), created_by=inviter)
    key = f"staff-invite-{staff.id}"
    queue_mail(session, key=key, kind=KIND, to=staff.email, params={"staff_id": staff.id})
    return staff, key


def token(secret: str, staff: StaffUser) -> str:
    digest = hmac.new(secret.encode(), f"staff-invite:{staff.id}:{staff.password_hash}".encode(),
                      hashlib.sha256).hexdigest()
    return f"{staff.id}.{digest}"


def invited(session: Session, secret: str, presented: str) -> StaffUser | None:
    """The account this link invites, while the link is good; None otherwise."""
    staff_id, _, _digest = (presented or "").partition(".")
    staff = session.get(StaffUser, int(staff_id)) if staff_id.isdigit() and len(staff_id) < 10 \
        else None
    if staff is None or staff.last_sign_in_at is not None or staff.disabled_at is not None \
            or staff.created_at + INVITE_TTL < utcnow():
        return None
    return staff if hmac.compare_digest(token(secret, staff), presented) else None


def accept(staff: StaffUser, password: str) -> None:
    problem = password_problem(password, staff.email)
    if problem:
        raise Refused(problem, "password", 400)
    staff.password_hash = hash_password(password)  # the link stops working


def invite_mail(session: Session, urls: Urls, secret: str, row: MailLog) -> dict | None:
    """The invitation's context, its link derived at delivery; None when no longer due."""
    staff = session.get(StaffUser, row.params["staff_id"])
    if staff is None or staff.last_sign_in_at is not None:
        return None
    inviter = session.get(StaffUser, staff.created_by_id) if staff.created_by_id else None
    return mails.staff_invite(
        inviter=inviter.email if inviter else "Contyzr", role=staff.role,
        accept_url=f"{urls.public_url}/admin/invite/{token(secret, staff)}",
        expires_days=INVITE_TTL.days)


