"""A tenant's own domain: which names are acceptable, the DNS records that point it at the
tenant's site, and one tenant per domain. Checking the records (verification) comes later."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import Tenant
from db.refusals import Refused

MAX_LENGTH = 253  # Tenant.custom_domain, and DNS
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
VERIFICATION_LABEL = "_contyzr"


@dataclass(frozen=True)
class DnsRecord:
    type: str
    name: str
    value: str


def normalise(text: str) -> str:
    """As typed → as stored: no surrounding spaces, lowercase, no trailing dot."""
    return text.strip().lower().removesuffix(".")


def domain_problem(domain: str, platform_domain: str) -> str | None:
    """Why ``domain`` (normalised) cannot be a tenant's domain, or None when it can."""
    if not domain:
        return "Enter your domain, e.g. shop.example.com."
    if len(domain) > MAX_LENGTH:
        return f"A domain has at most {MAX_LENGTH} characters."
    labels = domain.split(".")
    if len(labels) < 2 or not all(LABEL.fullmatch(label) for label in labels):
        return ("Enter only the domain, e.g. shop.example.com: letters, digits and hyphens "
                "between dots, without http:// or a path.")
    if labels[-1].isdigit():
        return "Enter a domain name, not an IP address."
    platform = platform_domain.lower()
    if domain == platform or domain.endswith("." + platform):
        return f"Addresses under {platform} are ours; enter a domain you own."
    return None


def verification_value(secret: str, tenant_id: int) -> str:
    """What the TXT record must contain: derived from the tenant, nothing to store."""
    digest = hmac.new(secret.encode(), f"custom-domain:{tenant_id}".encode(), hashlib.sha256)
    return f"contyzr-verification={digest.hexdigest()[:32]}"


def dns_records(tenant: Tenant, platform_domain: str, secret: str) -> list[DnsRecord]:
    domain = tenant.custom_domain
    return [DnsRecord("CNAME", domain, f"{tenant.subdomain}.{platform_domain}"),
            DnsRecord("TXT", f"{VERIFICATION_LABEL}.{domain}", verification_value(secret, tenant.id))]


def set_domain(session: Session, tenant: Tenant, domain: str) -> None:
    """Take ``domain`` (checked with ``domain_problem``) for this tenant. Raises
    ``Refused`` when another tenant has it. Flushes."""
    if tenant.custom_domain == domain:
        return
    try:
        # Other tenants' rows are invisible here (row-level security): the unique index answers.
        with session.begin_nested():
            tenant.custom_domain = domain
    except IntegrityError:
        raise Refused("This domain is already in use by another Contyzr site.", "domain") from None


def remove_domain(session: Session, tenant: Tenant) -> None:
    tenant.custom_domain = None
    session.flush()
