"""Password hashing (argon2id at OWASP's parameters) and a reasonable strength check."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

from db.messages import N_, Message

# OWASP (2025): argon2id, m=46 MiB, t=1, p=1 as the minimum configuration.
_hasher = PasswordHasher(time_cost=1, memory_cost=47104, parallelism=1)

MIN_LENGTH = 10
MAX_LENGTH = 256
COMMON = frozenset({
    "password", "password1", "password123", "1234567890", "qwertyuiop", "123456789a",
    "iloveyou12", "letmein123", "welcome123", "admin12345", "passw0rd12", "changeme12",
})


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _is_legacy(password_hash: str) -> bool:
    """Hashes from before argon2id (Werkzeug's scrypt and pbkdf2 formats)."""
    return password_hash.startswith(("scrypt:", "pbkdf2:"))


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    if _is_legacy(password_hash):
        return check_password_hash(password_hash, password)
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True for legacy formats and for argon2 hashes below today's parameters."""
    if _is_legacy(password_hash):
        return True
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def password_problem(password: str, *related: str) -> str | None:
    """Why this password is too weak, in words for the person choosing it; None when fine."""
    if len(password) < MIN_LENGTH:
        return Message(N_("Use at least %(count)s characters."), count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return Message(N_("Use at most %(count)s characters."), count=MAX_LENGTH)
    lowered = password.lower()
    if lowered in COMMON or len(set(lowered)) < 4:
        return N_("This password is too easy to guess. Try a short sentence.")
    for value in related:
        if value and len(value) >= 3 and value.lower() in lowered:
            return N_("Do not use your email, company or subdomain in the password.")
    return None
