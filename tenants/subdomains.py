"""Subdomain rules: the shape of a name, the reserved names, and claiming one exactly once."""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.messages import N_
from db.models import Subdomain, Tenant

PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$")
RESERVED = frozenset({
    "www", "admin", "api", "app", "mail", "email", "smtp", "imap", "pop", "ftp", "portal",
    "billing", "static", "assets", "cdn", "media", "help", "support", "status", "docs", "blog",
    "dev", "test", "staging", "login", "signup", "account", "accounts", "dashboard", "root",
    "webhooks", "stripe", "ns1", "ns2", "dns", "security", "contyzr",
})


class SubdomainTaken(Exception):
    pass


def subdomain_problem(name: str) -> str | None:
    if not 3 <= len(name) <= 40:
        return N_("Use 3 to 40 characters.")
    if not PATTERN.match(name) or "--" in name:
        return N_("Use lowercase letters, digits and single hyphens, not at the start or end.")
    if name in RESERVED:
        return N_("This name is reserved. Please choose another.")
    return None


def is_taken(session: Session, name: str) -> bool:
    claimed = session.scalar(select(Subdomain.name).where(Subdomain.name == name))
    return claimed is not None or session.scalar(
        select(Tenant.id).where(Tenant.subdomain == name)) is not None


def claim(session: Session, name: str, signup_id: str) -> None:
    """Insert the claim row; the primary key decides between racing signups."""
    try:
        with session.begin_nested():
            session.add(Subdomain(name=name, signup_id=signup_id))
    except IntegrityError:
        raise SubdomainTaken(name) from None


def release(session: Session, signup_id: str) -> None:
    session.execute(delete(Subdomain).where(Subdomain.signup_id == signup_id))
