"""Staff accounts: made with ``contyzr staff create``, signed in with a password and a
mandatory second factor (``staff.second_factor``), each with one role.

What each role may do is written once, in ``ROLE_ACTIONS``; every back-office view and API
call names its action and asks ``may``.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.messages import N_
from db.models import StaffRole, StaffUser
from db.refusals import Refused
from tenants.passwords import hash_password, password_problem, verify_password

# A hash to check a password against when the email is unknown, so both take as long.
_NOBODY = hash_password("no staff account has this password")

READ = "read"  # tenants, their billing, provisioning, events, mails; the audit log
REPAIR = "repair"  # the safe repairs: retry, reprocess, resend, extend grace
REVENUE = "revenue"  # the revenue dashboard and figures
MANAGE = "manage"  # suspend, reactivate, discounts, export, close and delete; staff accounts
ROLE_ACTIONS = {
    StaffRole.ADMIN: frozenset({READ, REPAIR, REVENUE, MANAGE}),
    StaffRole.SUPPORT: frozenset({READ, REPAIR}),
    StaffRole.FINANCE: frozenset({REVENUE}),
}


def may(staff: StaffUser, action: str) -> bool:
    return action in ROLE_ACTIONS.get(StaffRole(staff.role), frozenset())


def by_email(session: Session, email: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(
        func.lower(StaffUser.email) == email.strip().lower()))


def create(session: Session, email: str, role: str, password: str,
           created_by: StaffUser | None = None) -> StaffUser:
    """A new staff account; its second factor is enrolled at the first sign-in. Flushes."""
    email = email.strip()
    if "@" not in email or len(email) > 254:
        raise Refused(N_("Enter an email address."), "email", 400)
    if role not in {r.value for r in StaffRole}:
        raise Refused(N_("Choose a role: admin, support or finance."), "role", 400)
    problem = password_problem(password, email)
    if problem:
        raise Refused(problem, "password", 400)
    if by_email(session, email) is not None:
        raise Refused(N_("There is a staff account with this address already."), "email", 409)
    staff = StaffUser(email=email, role=role, password_hash=hash_password(password),
                      last_totp_step=0, recovery_code_hashes=[],
                      created_by_id=created_by.id if created_by else None)
    session.add(staff)
    session.flush()
    return staff


def check_password(session: Session, email: str, password: str) -> StaffUser | None:
    """The active account with this email and password; None otherwise (the same time)."""
    staff = by_email(session, email)
    if staff is None or staff.disabled_at is not None:
        verify_password(_NOBODY, password)
        return None
    return staff if verify_password(staff.password_hash, password) else None


def signed_in(staff: StaffUser) -> None:
    staff.last_sign_in_at = utcnow()
