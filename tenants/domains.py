"""A tenant's own domains: which names are acceptable, how they are written, and the DNS
records that prove them the tenant's and point them at its site.

Names are stored in their lowercase IDNA ("xn--") form without a final dot and shown in
Unicode (``display``). An apex domain (``bakery.example``; the registrable name, found with
the Public Suffix List bundled in ``tldextract``, so ``bakery.co.uk`` is one too) and its
``www.`` name come as a pair: adding either adds both. A subdomain (``shop.bakery.example``)
points at the tenant's platform address with a CNAME; an apex, which cannot carry a CNAME,
with A/AAAA records to the platform's addresses (``PLATFORM_ADDRESSES``). Ownership is a TXT
record at ``_contyzr.<name>`` (for a pair, at ``_contyzr.<apex>`` for both names) holding a
value derived from the tenant, so nothing secret is stored.

Verification by real DNS lookups is ``tenants.domain_checks``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import idna
import tldextract
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.messages import N_, Message
from db.models import CustomDomain, DomainStatus, Tenant
from db.refusals import Refused
from plans.catalog import Catalog, default_catalog
from plans.entitlements import require_feature
from tenants.scope import get_scoped, scoped, unconfined

MAX_LENGTH = 253  # CustomDomain.name, and DNS
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
VERIFICATION_LABEL = "_contyzr"
WWW = "www."


@dataclass(frozen=True)
class DnsRecord:
    type: str  # "TXT", "CNAME", "A" or "AAAA"
    name: str  # IDNA form
    value: str
    purpose: str  # "ownership" or "routing"


@cache
def _extract() -> tldextract.TLDExtract:
    # The snapshot of the Public Suffix List that ships with tldextract: no network, no cache.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def display(name: str) -> str:
    """The stored (IDNA) name as people write it: ``xn--bckerei-5wa.de`` -> ``bäckerei.de``."""
    try:
        return idna.decode(name)
    except idna.IDNAError:
        return name


def normalise(text: str) -> str:
    """As typed -> as stored: no surrounding spaces, no scheme or trailing dot, lowercase, IDNA.
    Text that cannot be a host name is returned lowercased, for ``domain_problem`` to refuse."""
    name = text.strip().lower().removesuffix(".")
    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return name


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def domain_problem(name: str, platform_domain: str) -> str | None:
    """Why ``name`` (normalised) cannot be a tenant's domain, or None when it can."""
    if not name:
        return N_("Enter your domain, e.g. shop.example.com.")
    if _is_address(name) or name.split(".")[-1].isdigit():
        return N_("Enter a domain name, not an IP address.")
    if "*" in name:
        return N_("Wildcard domains cannot be used; enter one name, e.g. shop.example.com.")
    if len(name) > MAX_LENGTH:
        return Message(N_("A domain has at most %(limit)s characters."), limit=MAX_LENGTH)
    labels = name.split(".")
    if len(labels) < 2 or not all(LABEL.fullmatch(label) for label in labels):
        return N_("Enter only the domain, e.g. shop.example.com: letters, digits and hyphens "
                  "between dots (each part at most 63), without http:// or a path.")
    platform = platform_domain.lower()
    if name == platform or name.endswith("." + platform):
        return Message(N_("Addresses under %(platform)s are ours; enter a domain you own."),
                       platform=platform)
    if not _extract()(name).suffix:
        return N_("This is not a domain on the internet; check its ending (.nl, .com, ...).")
    if not _extract()(name).domain:
        return N_("Enter your own domain, not only its ending.")
    return None


def is_apex(name: str) -> bool:
    """Whether ``name`` is a registrable domain itself (``bakery.example``, ``bakery.co.uk``)."""
    parts = _extract()(name)
    return bool(parts.domain and parts.suffix and not parts.subdomain)


def pair_of(name: str) -> list[str]:
    """The names added together: an apex and its ``www.`` name (apex first), or the one name."""
    if is_apex(name):
        return [name, WWW + name]
    if name.startswith(WWW) and is_apex(name[len(WWW):]):
        return [name[len(WWW):], name]
    return [name]


def ownership_name(name: str) -> str:
    """Where the TXT record that proves ``name`` is the tenant's lives."""
    return f"{VERIFICATION_LABEL}.{pair_of(name)[0]}"


def verification_value(secret: str, tenant_id: int) -> str:
    """What the TXT record must contain: derived from the tenant, nothing to store."""
    digest = hmac.new(secret.encode(), f"custom-domain:{tenant_id}".encode(), hashlib.sha256)
    return f"contyzr-verification={digest.hexdigest()[:32]}"


def platform_address(subdomain: str, platform_domain: str) -> str:
    return f"{subdomain}.{platform_domain}"


def expected_records(name: str, tenant_id: int, subdomain: str, platform_domain: str,
                     addresses: list[str], secret: str) -> list[DnsRecord]:
    """The records the tenant creates for ``name``: the ownership TXT, then the routing: a
    CNAME to its platform address for a subdomain, A/AAAA to the platform's addresses for an
    apex."""
    records = [DnsRecord("TXT", ownership_name(name), verification_value(secret, tenant_id),
                         "ownership")]
    if not is_apex(name):
        return records + [DnsRecord("CNAME", name, platform_address(subdomain, platform_domain),
                                    "routing")]
    for address in addresses:
        kind = "AAAA" if ipaddress.ip_address(address).version == 6 else "A"
        records.append(DnsRecord(kind, name, address, "routing"))
    return records


# The portal's rules: add, remove, choose the main address, ask for a check now. They run in
# the portal's confined transaction (the tenant role may insert pending claims, delete its own
# rows and change only ``is_primary``, ``next_check_at`` and ``checks_often_until``); whether a
# domain is verified is the verifier's alone (``tenants.domain_checks``). Each flushes; the
# view commits, then calls ``tenants.domain_routing.invalidate``.

CHECK_OFTEN_FOR = timedelta(hours=1)  # after adding or "Check now": checked every minute
TAKEN = N_("This domain is already connected to another Contyzr site.")
NOT_FOUND = N_("This domain is not connected to your site.")
NOT_VERIFIED = N_("Only a verified domain can be your main address. Create the DNS records "
                  "below and wait until the domain shows as verified.")

def _lock(session: Session, tenant: Tenant) -> None:
    """One change to a tenant's domains at a time (two "Make primary" clicks, two adds)."""
    session.execute(select(Tenant.id).where(Tenant.id == tenant.id).with_for_update())


def _own(session: Session, tenant: Tenant, domain_id) -> CustomDomain:
    row = get_scoped(session, CustomDomain, tenant.id, domain_id)
    if row is None:
        raise Refused(NOT_FOUND, status=404)
    return row


def check_often(row: CustomDomain, now: datetime) -> None:
    """Check at once, then every minute for the next hour (added, or "Check now")."""
    row.next_check_at, row.checks_often_until = now, now + CHECK_OFTEN_FOR


def tenant_domains(session: Session, tenant_id: int) -> list[CustomDomain]:
    """The tenant's domains, pairs together (apex before www), in the order they came."""
    rows = session.scalars(scoped(CustomDomain, tenant_id).order_by(CustomDomain.id)).all()
    return sorted(rows, key=lambda row: (pair_of(row.name)[0], row.name != pair_of(row.name)[0]))


def _taken_elsewhere(session: Session, tenant: Tenant, names: list[str]) -> set[str]:
    """Which of ``names`` another tenant has proven its own (verified). Other tenants' rows are
    hidden from the tenant role, so this one read runs as the app's own role."""
    with unconfined(session):
        return set(session.scalars(select(CustomDomain.name).where(
            CustomDomain.name.in_(names), CustomDomain.status == DomainStatus.VERIFIED,
            CustomDomain.tenant_id != tenant.id)))


def add_domain(session: Session, tenant: Tenant, text: str, platform_domain: str,
               catalog: Catalog | None = None) -> list[CustomDomain]:
    """Claim the domain typed as ``text`` and, for an apex or its www name, its partner: pending
    rows, checked every minute for the next hour. Names the tenant has already are checked
    again instead of added twice. A name another tenant has verified is refused (its partner
    alone is left out); an unverified claim of another tenant blocks nothing. Returns the rows
    of the typed name and its partner."""
    require_feature(catalog or default_catalog(), tenant, "custom_domain")
    name = normalise(text)
    if problem := domain_problem(name, platform_domain):
        raise Refused(problem, "domain")
    _lock(session, tenant)
    names = pair_of(name)
    taken = _taken_elsewhere(session, tenant, names)
    if name in taken:
        raise Refused(TAKEN, "domain")
    names = [each for each in names if each not in taken]
    have = {row.name: row for row in session.scalars(
        scoped(CustomDomain, tenant.id).where(CustomDomain.name.in_(names)))}
    now = utcnow()
    for row in have.values():
        check_often(row, now)
    new = [each for each in names if each not in have]
    if new:
        session.add_all([CustomDomain(
            tenant_id=tenant.id, name=each, status=DomainStatus.PENDING, is_primary=False,
            next_check_at=now, checks_often_until=now + CHECK_OFTEN_FOR, failed_checks=0)
            for each in new])
    session.flush()
    return list(session.scalars(scoped(CustomDomain, tenant.id)
                                .where(CustomDomain.name.in_(names)).order_by(CustomDomain.id)))


def remove_domain(session: Session, tenant: Tenant, domain_id) -> str:
    """Delete this one name at once (its www or apex partner stays until removed too). A
    removed main address hands that role back to the platform subdomain. Returns the name."""
    _lock(session, tenant)
    row = _own(session, tenant, domain_id)
    name = row.name
    session.delete(row)
    session.flush()
    return name


def set_primary(session: Session, tenant: Tenant, domain_id) -> CustomDomain | None:
    """Make this verified domain the site's main address (the others answer with a 301 to it);
    None: the platform subdomain is the main address again."""
    _lock(session, tenant)
    row = None if domain_id is None else _own(session, tenant, domain_id)
    if row is not None and row.status != DomainStatus.VERIFIED:
        raise Refused(NOT_VERIFIED)
    for other in session.scalars(scoped(CustomDomain, tenant.id)
                                 .where(CustomDomain.is_primary.is_(True))):
        other.is_primary = False
    session.flush()  # at most one main address, even for a moment
    if row is not None:
        row.is_primary = True
        session.flush()
    return row


def check_now(session: Session, tenant: Tenant, domain_id) -> CustomDomain:
    """Check this domain at once, then every minute for the next hour."""
    row = _own(session, tenant, domain_id)
    check_often(row, utcnow())
    session.flush()
    return row
