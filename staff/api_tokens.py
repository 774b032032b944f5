"""Staff API tokens, for the platform API (``/api/platform``): made in the back office
(``/admin/tokens``), shown once, stored as a hash (as tenants' API keys are), found by a public
prefix, revoked by their owner.

A token acts with its staff member's role (``staff.accounts.may``), read at every request: a
changed role applies at once, and a disabled staff member's tokens stop working. Tokens look
like ``czs_<prefix>_<secret>``, apart from tenants' keys (``cz_...``), which never work here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.messages import N_, Message
from db.models import StaffApiToken, StaffUser
from db.refusals import Refused

PREFIX = "czs"
MAX_NAME = 80
MAX_ACTIVE = 20  # tokens in use per staff member
MAX_PRESENTED = 200  # longer is not a token of ours: refused before any lookup

# Why a presented token does not work (the audit log's ``problem``).
MALFORMED, UNKNOWN, REVOKED, DISABLED = "malformed", "unknown", "revoked", "staff_disabled"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _cleaned_name(name: str | None) -> str:
    """Spaces collapsed, control characters (a NUL cannot even be stored) dropped."""
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", name or "").split())


def create(session: Session, staff: StaffUser, name: str | None) -> tuple[StaffApiToken, str]:
    """A new token of ``staff``: the row and the token itself (the only time it exists in
    clear). Refuses a missing or long name and more than ``MAX_ACTIVE`` tokens in use. Flushes."""
    name = _cleaned_name(name)
    if not name:
        raise Refused(N_("Name the token after what uses it, e.g. Support dashboard."), "name",
                      400)
    if len(name) > MAX_NAME:
        raise Refused(Message(N_("Use at most %(max)s characters."), max=MAX_NAME), "name", 400)
    if staff.disabled_at is not None:
        raise Refused(N_("This staff account is disabled."), status=403)
    in_use = session.scalar(select(func.count()).select_from(StaffApiToken).where(
        StaffApiToken.staff_id == staff.id, StaffApiToken.revoked_at.is_(None)))
    if in_use >= MAX_ACTIVE:
        raise Refused(Message(N_("You have %(count)s tokens in use: revoke one first."),
                              count=MAX_ACTIVE), "name", 409)
    prefix = secrets.token_hex(6)
    token = f"{PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = StaffApiToken(staff_id=staff.id, name=name, prefix=prefix, token_hash=_hash(token))
    session.add(row)
    session.flush()
    return row, token


def tokens_of(session: Session, staff: StaffUser) -> list[StaffApiToken]:
    """The staff member's own tokens, the newest first (revoked ones too)."""
    return list(session.scalars(select(StaffApiToken).where(StaffApiToken.staff_id == staff.id)
                                .order_by(StaffApiToken.created_at.desc(),
                                          StaffApiToken.id.desc())))


def revoke(session: Session, staff: StaffUser, token_id: int) -> StaffApiToken:
    """Revoke one of ``staff``'s own tokens (someone else's is a 404). Revoking twice is fine."""
    row = session.get(StaffApiToken, token_id, with_for_update=True)
    if row is None or row.staff_id != staff.id:
        raise Refused(N_("There is no such token."), status=404)
    row.revoked_at = row.revoked_at or utcnow()
    session.flush()
    return row


@dataclass(frozen=True)
class TokenCheck:
    """What a presented token is: its row and staff member when it works (``problem`` None),
    else why not; a revoked token or a disabled member's still names whose it was."""

    token: StaffApiToken | None
    staff: StaffUser | None
    problem: str | None

    @property
    def works(self) -> bool:
        return self.problem is None


def check(session: Session, presented: str) -> TokenCheck:
    """Look ``presented`` up. Only a well-formed token's prefix reaches the database; the secret
    is compared in constant time."""
    parts = presented.split("_", 2)  # the secret part may itself contain "_"
    if len(presented) > MAX_PRESENTED or len(parts) != 3 or parts[0] != PREFIX \
            or not parts[1].isascii() or not parts[1].isalnum() or len(parts[1]) > 16:
        return TokenCheck(None, None, MALFORMED)
    row = session.scalar(select(StaffApiToken).where(StaffApiToken.prefix == parts[1]))
    if row is None or not hmac.compare_digest(row.token_hash, _hash(presented)):
        return TokenCheck(None, None, UNKNOWN)
    staff = session.get(StaffUser, row.staff_id)
    if row.revoked_at is not None:
        return TokenCheck(row, staff, REVOKED)
    if staff is None or staff.disabled_at is not None:
        return TokenCheck(row, staff, DISABLED)
    return TokenCheck(row, staff, None)


def mark_used(token: StaffApiToken) -> None:
    token.last_used_at = utcnow()


def authenticate(session: Session, presented: str) -> tuple[StaffApiToken, StaffUser] | None:
    """The working token matching ``presented`` and its staff member, or None. Marks it used."""
    found = check(session, presented)
    if not found.works:
        return None
    mark_used(found.token)
    return found.token, found.staff
