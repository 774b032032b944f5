"""The staff's mandatory second factor: a TOTP app (RFC 6238 through ``pyotp``), enrolled with
a QR code at the first sign-in, with ten single-use recovery codes.

A code is taken once: the time step it matched is remembered, and a code of that step or an
earlier one is refused, so a code seen over a shoulder or replayed from a log never works.
"""

from __future__ import annotations

import hmac
import secrets

import pyotp
import segno
from sqlalchemy.orm import Session

from db.base import utcnow
from db.messages import N_
from db.models import StaffUser
from db.refusals import Refused
from tenants.tokens import token_hash

ISSUER = "Contyzr back office"
RECOVERY_CODES = 10
DRIFT_STEPS = 1  # a code of the step before or after is accepted (clocks drift)


def begin_enrolment(staff: StaffUser) -> str:
    """A new secret for an account not enrolled yet (kept until a code confirms it)."""
    if staff.totp_confirmed_at is not None:
        raise Refused(N_("The second factor is set up already."), status=409)
    staff.totp_secret = staff.totp_secret or pyotp.random_base32()
    return staff.totp_secret


def provisioning_uri(staff: StaffUser) -> str:
    return pyotp.TOTP(staff.totp_secret).provisioning_uri(name=staff.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as inline SVG (no image service, no script)."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#111827")


def _matched_step(secret: str, code: str) -> int | None:
    totp = pyotp.TOTP(secret)
    now = utcnow()
    step = totp.timecode(now)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        candidate = totp.generate_otp(step + offset)
        if hmac.compare_digest(candidate, code):
            return step + offset
    return None


def _normalised(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def check_code(staff: StaffUser, code: str) -> bool:
    """A fresh TOTP code of this account, or one of its unused recovery codes (then used up).
    Raises ``Refused`` for a TOTP code that was used already."""
    code = _normalised(code)
    if staff.totp_secret and code.isdigit() and len(code) == 6:
        step = _matched_step(staff.totp_secret, code)
        if step is None:
            return False
        if step <= staff.last_totp_step:
            raise Refused(N_("This code was used already. Wait for the next one."), "code", 401)
        staff.last_totp_step = step
        return True
    hashed = token_hash(code)
    if code and hashed in staff.recovery_code_hashes:
        staff.recovery_code_hashes = [h for h in staff.recovery_code_hashes if h != hashed]
        return True
    return False


def confirm_enrolment(session: Session, staff: StaffUser, code: str) -> list[str]:
    """The first code proves the app has the secret: the factor is on, and the recovery codes
    (shown this once; only their hashes are kept) are returned. Flushes."""
    if staff.totp_secret is None or staff.totp_confirmed_at is not None:
        raise Refused(N_("Start the set-up again."), status=409)
    if not check_code(staff, code) or not _normalised(code).isdigit():
        raise Refused(N_("That code is not right. Enter the 6 digits your app shows now."),
                      "code", 401)
    staff.totp_confirmed_at = utcnow()
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    staff.recovery_code_hashes = [token_hash(_normalised(code)) for code in codes]
    session.flush()
    return codes
