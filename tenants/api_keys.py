"""API keys: shown once at creation, stored as a hash, looked up by a public prefix."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import ApiKey

PREFIX = "cz"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, tenant_id: int, name: str) -> tuple[ApiKey, str]:
    """Return the row and the key itself (the only time it exists in clear). Flushes."""
    prefix = secrets.token_hex(6)
    key = f"{PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(tenant_id=tenant_id, name=name, prefix=prefix, key_hash=_hash(key))
    session.add(row)
    session.flush()
    return row, key


def revoke(row: ApiKey) -> None:
    row.revoked_at = row.revoked_at or utcnow()


def authenticate(session: Session, presented: str) -> ApiKey | None:
    """The active key matching ``presented``, or None."""
    parts = presented.split("_", 2)  # the secret part may itself contain "_"
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1].isalnum() or not parts[1].isascii():
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_hash, _hash(presented)):
        return None
    return row
