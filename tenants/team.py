"""The team: members with roles, invitations by mail, and the rule that an owner remains.

Owners may do everything; admins everything except touching owners; editors edit content.
An invitation counts against the plan's ``users`` limit while it is open. Its link carries a
token derived from the invite id with the secret key, so the mail's delivery derives it again
and only the token's hash is stored. The mail is queued in the outbox with the invitation (its
params hold the invite id, never the token).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.languages import ui_language
from db.messages import N_, Message
from db.models import Invite, Tenant, User
from db.models.tenants import ROLES, Role
from db.refusals import Refused
from emails import mails
from emails.outbox import queue_mail
from links.urls import Urls
from plans.access import access_for
from plans.catalog import Catalog
from plans.entitlements import LimitReached, OverLimit, require_kept, reserve
from tenants.accounts import find_user
from tenants.passwords import hash_password
from tenants.scope import get_scoped, scoped, unconfined
from tenants.tokens import token_hash

INVITE_TTL = timedelta(days=7)


def invite_token(secret: str, invite_id: int) -> str:
    return hmac.new(secret.encode(), f"invite:{invite_id}".encode(), hashlib.sha256).hexdigest()


def members(session: Session, tenant_id: int) -> list[User]:
    return list(session.scalars(scoped(User, tenant_id).order_by(User.created_at, User.id)))


def open_invites(session: Session, tenant_id: int) -> list[Invite]:
    """Invitations not accepted yet, expired ones included (they can be revoked)."""
    return list(session.scalars(scoped(Invite, tenant_id).where(Invite.accepted_at.is_(None))
                                .order_by(Invite.created_at, Invite.id)))


def assignable_roles(actor: User) -> tuple[str, ...]:
    return ROLES if actor.role == Role.OWNER else tuple(r for r in ROLES if r != Role.OWNER)


def _known_role(role: str) -> None:
    if role not in ROLES:
        raise Refused(N_("Choose owner, admin or editor."), "role")


def invite(session: Session, catalog: Catalog, tenant: Tenant, actor: User, email: str, role: str,
           secret: str, language: str | None = None) -> Invite:
    """Invite ``email`` with ``role``, the mail (and the new member, until they choose) in
    ``language`` (the inviter's current one; unknown: the default). Raises ``Refused`` or
    ``LimitReached``. Flushes."""
    email = email.strip().lower()
    _known_role(role)
    if role not in assignable_roles(actor):
        raise Refused(N_("Only owners can invite an owner."), "role")
    if session.scalar(scoped(User, tenant.id).where(func.lower(User.email) == email)):
        raise Refused(Message(N_("%(email)s is already on your team."), email=email), "email")
    if session.scalar(scoped(Invite, tenant.id).where(
            func.lower(Invite.email) == email, Invite.accepted_at.is_(None),
            Invite.expires_at > utcnow())):
        raise Refused(Message(N_("%(email)s is already invited. Revoke that invitation to send a "
                                 "new one."), email=email), "email")
    reserve(session, catalog, tenant, "users")
    invite_id = session.scalar(select(func.nextval(func.pg_get_serial_sequence("invites", "id"))))
    row = Invite(id=invite_id, tenant_id=tenant.id, email=email, role=role,
                 language=ui_language(language),
                 token_hash=token_hash(invite_token(secret, invite_id)), invited_by=actor.id,
                 expires_at=utcnow() + INVITE_TTL)
    session.add(row)
    session.flush()
    with unconfined(session):  # the tenant role may not write mail_log
        queue_mail(session, key=invite_mail_key(row.id), kind="team_invite", to=email,
                   params={"invite_id": row.id}, tenant_id=tenant.id)
    return row


def invite_mail_key(invite_id: int) -> str:
    return f"team-invite-{invite_id}"


def invite_mail(session: Session, urls: Urls, secret: str, tenant_id: int,
                invite_id: int) -> dict | None:
    """The invitation mail's context, its link derived again from the invite id; None when the
    invitation was revoked, used or has expired (then no mail is sent)."""
    row = get_scoped(session, Invite, tenant_id, invite_id)
    if row is None or row.accepted_at is not None or row.expires_at <= utcnow():
        return None
    company = session.get(Tenant, tenant_id).company
    inviter = get_scoped(session, User, tenant_id, row.invited_by)
    return {**mails.team_invite(company=company, inviter=inviter.email if inviter else company,
                                role=row.role, accept_url=urls.invite(invite_token(secret, row.id))),
            "language": row.language}  # the mail's language: the one it was sent in


def revoke_invite(session: Session, row: Invite) -> None:
    session.delete(row)
    session.flush()


def _another_owner(session: Session, member: User) -> bool:
    """Whether an owner other than ``member`` exists; locks the tenant until commit."""
    session.execute(select(Tenant.id).where(Tenant.id == member.tenant_id).with_for_update())
    return session.scalar(scoped(User, member.tenant_id).where(
        User.role == Role.OWNER, User.id != member.id).limit(1)) is not None


def change_role(session: Session, catalog: Catalog, actor: User, member: User, role: str) -> None:
    """Raises ``Refused`` when the rules forbid it, or when ``member`` is beyond the plan's
    users limit (after a downgrade: the newest non-owners; see ``plans.entitlements.kept``),
    whose place is read-only until the plan grows or someone leaves. Flushes."""
    _known_role(role)
    if role == member.role:
        return
    try:
        require_kept(session, catalog, session.get(Tenant, member.tenant_id), "users", member.id)
    except OverLimit as exc:
        raise Refused(Message(N_(
            "%(email)s is over your plan's limit of %(limit)s team members: upgrade to change "
            "their role, or remove members you no longer need. Nothing was changed."),
            email=member.email, limit=exc.usage.limit)) from None
    if actor.role != Role.OWNER and Role.OWNER in (role, member.role):
        raise Refused(N_("Only owners can change who is an owner."))
    if member.role == Role.OWNER and not _another_owner(session, member):
        raise Refused(Message(N_("%(email)s is the only owner and stays one. Make someone else "
                                 "an owner first."), email=member.email))
    member.role = role
    session.flush()


def remove(session: Session, actor: User, member: User, confirmed: bool) -> None:
    """Remove ``member``; their sessions end with their account. Removing yourself needs
    ``confirmed``. Raises ``Refused`` when the rules forbid it. Flushes."""
    if member.id == actor.id and not confirmed:
        raise Refused(N_("To remove yourself from the team, tick “Yes, remove me” and try again."))
    if member.role == Role.OWNER:
        if actor.role != Role.OWNER:
            raise Refused(N_("Only owners can remove an owner."))
        if not _another_owner(session, member):
            raise Refused(Message(N_("%(email)s is the only owner and cannot be removed. Make "
                                     "someone else an owner first."), email=member.email))
    session.delete(member)
    session.flush()


def open_invite(session: Session, token: str, lock: bool = False) -> tuple[Invite, Tenant]:
    """The invitation behind this link and its tenant, or ``Refused``."""
    query = select(Invite).where(Invite.token_hash == token_hash(token))
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise Refused(N_("This invitation link is not valid; it may have been revoked. Ask for "
                         "a new invitation."), status=404)
    if row.accepted_at is not None:
        raise Refused(N_("This invitation was already accepted. Sign in with your email and "
                         "password."), status=410)
    tenant = session.get(Tenant, row.tenant_id)
    if row.expires_at <= utcnow():
        raise Refused(Message(N_("This invitation has expired. Ask %(company)s for a new one."),
                              company=tenant.company), status=410)
    if find_user(session, row.email) is not None:
        raise Refused(Message(N_(
            "%(email)s already has a Contyzr account, and an account belongs to one company. "
            "Sign in with it, or ask %(company)s to invite another address."),
            email=row.email, company=tenant.company), status=409)
    if not access_for(tenant).may_change_content:
        raise Refused(Message(N_(
            "The account of %(company)s is on hold, so invitations cannot be accepted right "
            "now. Please try again later."), company=tenant.company), status=409)
    return row, tenant


def accept(session: Session, catalog: Catalog, token: str, password: str) -> User:
    """Use the invitation once: a new member with the invited role. Flushes."""
    row, tenant = open_invite(session, token, lock=True)
    try:
        reserve(session, catalog, tenant, "users", amount=0)  # the open invitation holds the seat
    except LimitReached:
        raise Refused(Message(N_("The team of %(company)s is full on its current plan. Please "
                                 "ask the person who invited you."), company=tenant.company),
                      status=409) from None
    user = User(tenant_id=tenant.id, email=row.email, role=row.role, language=row.language,
                password_hash=hash_password(password), last_login_at=utcnow())
    row.accepted_at = utcnow()
    session.add(user)
    session.flush()
    return user
