"""Verifying tenants' own domains by real DNS lookups, and watching them once verified.

``lookup`` reads what the world's DNS says about a name (the ownership TXT, and the routing:
a subdomain's CNAME or, where the DNS host flattens it, its A/AAAA; an apex's A/AAAA);
``verdict`` compares that with ``domains.expected_records``; ``check`` applies the verdict to
a ``CustomDomain`` row (status, detail in plain words, mails through the outbox, staff's
tenant event) and schedules its next check. A lookup that gets no answer at all (timeout,
SERVFAIL) is "could not check": nothing changes but the time of the next try, so a DNS
outage never turns a verified domain lost.

A domain is reserved only once verified (a unique index on verified names). The tenant who
proves ownership first wins: every other tenant's unverified or lost claim of the name is
deleted, each with a mail to that tenant's owner. Callers commit, then enqueue the mails in
``Effects`` and invalidate the routing cache when ``check`` says the status changed.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

import dns.exception
import dns.nameserver
import dns.resolver
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.messages import N_, Message
from db.models import Tenant, TenantEvent, User
from db.models.domains import CustomDomain, DomainStatus
from db.models.tenants import Role
from emails.outbox import queue_mail
from links.urls import Urls
from tenants import domains
from tenants.lifecycle import Effects

LOOKUP_LIFETIME = 3.0  # seconds per query, all resolvers together
OFTEN = timedelta(minutes=1)
FIRST_BACKOFF = timedelta(minutes=5)  # pending or misconfigured: 5, 10, 20, 40 minutes...
MAX_BACKOFF = timedelta(hours=6)
WATCH_EVERY = timedelta(hours=6)  # verified and lost domains
RETRY_AFTER_OUTAGE = timedelta(minutes=5)  # the lookup itself failed
DETAIL_LENGTH = 1000  # CustomDomain.detail
EVENT_DETAIL_LENGTH = 500  # TenantEvent.detail
SHOWN_VALUES = 3  # values quoted in a detail
SHOWN_VALUE_LENGTH = 80

# The detail is stored in English (staff read it, and the event log keeps it); the portal
# shows it in the reader's language: ``detail_messages`` takes a stored detail apart again
# into these marked texts and their values (a detail it cannot read is shown as stored).
TAKEN = N_("This domain is already connected to another site.")
VERIFIED_DETAIL = N_("Your domain is connected: its records are in place.")
PENDING_DETAIL = N_("No records found yet. Create the records shown on this page; new records "
                    "can take a few hours to become visible.")
TXT_WRONG = N_("The TXT record %(where)s was found, but it holds %(found)s instead of "
               "“%(value)s”.")
TXT_MISSING = N_("The TXT record %(where)s was not found; create it with the value “%(value)s”.")
CNAME_ADDRESS = N_("%(name)s points to the address %(found)s instead of %(target)s.")
CNAME_WRONG = N_("%(name)s points to %(found)s instead of %(target)s.")
CNAME_MISSING = N_("%(name)s has no CNAME record yet; create one pointing to %(target)s.")
APEX_WRONG = N_("%(name)s points to the address %(found)s, which is not ours; its A/AAAA "
                "records must point only to %(ours)s.")
APEX_MISSING = N_("%(name)s has no A or AAAA record yet; create records pointing to %(ours)s.")
# The most specific first: "points to the address" before "points to".
DETAIL_TEXTS = (TAKEN, VERIFIED_DETAIL, PENDING_DETAIL, TXT_WRONG, TXT_MISSING, CNAME_ADDRESS,
                APEX_WRONG, CNAME_WRONG, CNAME_MISSING, APEX_MISSING)


class CouldNotCheck(Exception):
    """DNS gave no answer (timeout, SERVFAIL, unreachable): try again later, change nothing."""


@dataclass(frozen=True)
class CheckSettings:
    resolvers: tuple[str, ...]  # "host[:port]"; empty: the system's
    platform_domain: str
    addresses: tuple[str, ...]  # where an apex's A/AAAA must point
    secret: str  # derives the tenant's TXT value
    lost_grace: timedelta

    @classmethod
    def from_config(cls, config, secret: str) -> CheckSettings:
        return cls(tuple(config.get("DNS_RESOLVERS") or ()), config["PLATFORM_DOMAIN"],
                   tuple(config.get("PLATFORM_ADDRESSES") or ()), secret,
                   timedelta(hours=config.get("DOMAIN_LOST_GRACE_HOURS", 72)))


@dataclass(frozen=True)
class Findings:
    """What DNS holds for a domain: TXT values at its ownership name, and its routing."""

    txt: tuple[str, ...] = ()
    cname: str | None = None
    addresses: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.txt or self.cname or self.addresses)


@dataclass(frozen=True)
class Verdict:
    status: DomainStatus  # pending, verified or misconfigured
    detail: str


# --- lookups ---------------------------------------------------------------------------

def _nameserver(entry: str) -> dns.nameserver.Do53Nameserver:
    entry = entry.strip()
    if entry.startswith("["):  # [::1]:5353
        host, _, port = entry[1:].partition("]")
        port = port.removeprefix(":")
    elif entry.count(":") == 1:
        host, _, port = entry.partition(":")
    else:  # a bare IPv4 or IPv6 address
        host, port = entry, ""
    if not _is_address(host):  # a resolver given by name, e.g. "dns.internal:53"
        host = socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)[0][4][0]
    return dns.nameserver.Do53Nameserver(host, int(port) if port else 53)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def resolver_for(resolvers: tuple[str, ...] | list[str]) -> dns.resolver.Resolver:
    if resolvers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [_nameserver(entry) for entry in resolvers]
    else:
        resolver = dns.resolver.Resolver()
    resolver.timeout = resolver.lifetime = LOOKUP_LIFETIME
    resolver.cache = None
    return resolver


def _answer(resolver: dns.resolver.Resolver, name: str, kind: str) -> list:
    try:
        answer = resolver.resolve(name, kind, raise_on_no_answer=False, search=False)
    except dns.resolver.NXDOMAIN:
        return []
    except dns.exception.DNSException as error:  # timeout, SERVFAIL, no server answered
        raise CouldNotCheck(f"{kind} {name}: {error.__class__.__name__}") from error
    return list(answer.rrset) if answer.rrset is not None else []


def _txt(rdata) -> str:
    # One record may be split in strings of up to 255 bytes; they form one value. Owners
    # paste anything: bytes that are not UTF-8 are shown replaced, never a crash.
    return b"".join(rdata.strings).decode("utf-8", errors="replace").strip()


def _host(rdata) -> str:
    return rdata.target.to_text(omit_final_dot=True).lower()


def lookup(name: str, resolvers: tuple[str, ...] | list[str]) -> Findings:
    """What DNS says about ``name`` (IDNA form). Raises ``CouldNotCheck`` when it does not
    answer; a name that does not exist, or has no such records, is a finding (nothing)."""
    try:
        resolver = resolver_for(resolvers)
    except (dns.exception.DNSException, OSError, ValueError) as error:  # no resolver to ask
        raise CouldNotCheck(f"resolvers {list(resolvers)}: {error}") from error
    txt = tuple(_txt(rdata) for rdata in _answer(resolver, domains.ownership_name(name), "TXT"))
    cname = None
    if not domains.is_apex(name):
        found = _answer(resolver, name, "CNAME")
        cname = _host(found[0]) if found else None
    addresses: tuple[str, ...] = ()
    if cname is None:
        addresses = tuple(rdata.address for kind in ("A", "AAAA")
                          for rdata in _answer(resolver, name, kind))
    return Findings(txt, cname, addresses)


# --- verdict -----------------------------------------------------------------------------

def _quoted(values, limit: int = SHOWN_VALUES) -> str:
    shown = []
    for value in list(values)[:limit]:
        value = "".join(c if c.isprintable() else "?" for c in value)
        if len(value) > SHOWN_VALUE_LENGTH:
            value = value[:SHOWN_VALUE_LENGTH - 1] + "…"
        shown.append(f"“{value}”")
    more = len(values) - limit
    text = ", ".join(shown)
    return f"{text} and {more} more" if more > 0 else text


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _same_address(found: str, allowed: set) -> bool:
    try:
        return ipaddress.ip_address(found) in allowed
    except ValueError:
        return False


def verdict(name: str, findings: Findings, expected: list[domains.DnsRecord],
            addresses: tuple[str, ...] | list[str]) -> Verdict:
    """Compare ``findings`` with the ``expected`` records; ``addresses`` are the platform's
    (a flattened CNAME, or an apex, must point at them only)."""
    if findings.empty:
        return Verdict(DomainStatus.PENDING, PENDING_DETAIL)
    shown = domains.display(name)
    problems = []
    ownership = next(record for record in expected if record.purpose == "ownership")
    if ownership.value not in findings.txt:
        where = domains.display(ownership.name)
        if findings.txt:
            problems.append(TXT_WRONG % {"where": where, "found": _quoted(findings.txt),
                                         "value": ownership.value})
        else:
            problems.append(TXT_MISSING % {"where": where, "value": ownership.value})
    allowed = {ipaddress.ip_address(address) for address in addresses}
    wrong = [found for found in findings.addresses if not _same_address(found, allowed)]
    cname = next((record.value for record in expected if record.type == "CNAME"), None)
    if cname is not None:  # a subdomain: a CNAME to the platform (or flattened to its addresses)
        if findings.cname is not None and findings.cname != cname:
            problems.append(CNAME_WRONG % {"name": shown, "target": cname,
                                           "found": domains.display(findings.cname)})
        elif findings.cname is None and wrong:
            problems.append(CNAME_ADDRESS % {"name": shown, "found": _quoted(wrong),
                                             "target": cname})
        elif findings.cname is None and not findings.addresses:
            problems.append(CNAME_MISSING % {"name": shown, "target": cname})
    else:  # an apex: A/AAAA to the platform's addresses only
        ours = _and([record.value for record in expected if record.type in ("A", "AAAA")])
        if wrong:
            problems.append(APEX_WRONG % {"name": shown, "found": _quoted(wrong), "ours": ours})
        elif not findings.addresses:
            problems.append(APEX_MISSING % {"name": shown, "ours": ours})
    if not problems:
        return Verdict(DomainStatus.VERIFIED, VERIFIED_DETAIL)
    return Verdict(DomainStatus.MISCONFIGURED, _fit(" ".join(problems)))


def _pattern(text: str) -> re.Pattern:
    """A marked detail text as a pattern that gives its values back."""
    parts = re.split(r"%\((\w+)\)s", text)
    pattern = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
                      for index, part in enumerate(parts))
    return re.compile(pattern + r"(?=\s|$)")


_DETAIL_PATTERNS = [(text, _pattern(text)) for text in DETAIL_TEXTS]


def detail_messages(detail: str) -> list[str]:
    """A stored detail as the marked texts it was made of (``Message``s, for the web layer to
    translate); the detail as stored, in one piece, when it is not made of them only (cut
    short, or from an older version)."""
    found, position = [], 0
    while position < len(detail):
        for text, pattern in _DETAIL_PATTERNS:
            match = pattern.match(detail, position)
            if match:
                found.append(Message(text, **match.groupdict()))
                position = match.end()
                while position < len(detail) and detail[position].isspace():
                    position += 1
                break
        else:
            return [detail]
    return found


def _fit(text: str, length: int = DETAIL_LENGTH) -> str:
    return text if len(text) <= length else text[:length - 1] + "…"


# --- applying a result -------------------------------------------------------------------

def _owner(session: Session, tenant_id: int) -> User | None:
    return session.scalar(select(User).where(User.tenant_id == tenant_id, User.role == Role.OWNER)
                          .order_by(User.id))


def _mail(session: Session, effects: Effects, tenant: Tenant, key: str, kind: str,
          **params) -> None:
    owner = _owner(session, tenant.id)
    if owner is not None and queue_mail(session, key=key, kind=kind, to=owner.email,
                                        params=params, tenant_id=tenant.id):
        effects.mail_keys.append(key)


def _event(session: Session, tenant_id: int, kind: str, detail: str) -> None:
    session.add(TenantEvent(tenant_id=tenant_id, kind=kind,
                            detail=_fit(detail, EVENT_DETAIL_LENGTH)))


def _lock_name(session: Session, name: str) -> None:
    """Verifications of one name take turns across every process (the unique index on
    verified names is the backstop)."""
    session.execute(select(func.pg_advisory_xact_lock(
        func.hashtextextended(f"custom-domain:{name}", 0))))


def _held_by_another(session: Session, domain: CustomDomain) -> bool:
    return session.scalar(select(CustomDomain.id).where(
        CustomDomain.name == domain.name, CustomDomain.status == DomainStatus.VERIFIED,
        CustomDomain.id != domain.id)) is not None


def _drop_other_claims(session: Session, urls: Urls, domain: CustomDomain,
                       effects: Effects) -> None:
    # Rows another sweep is checking right now are skipped: that check finds this verified
    # row once this transaction commits and leaves its claim misconfigured ("TAKEN").
    claims = session.scalars(select(CustomDomain).where(
        CustomDomain.name == domain.name, CustomDomain.tenant_id != domain.tenant_id,
        CustomDomain.status != DomainStatus.VERIFIED).with_for_update(skip_locked=True)).all()
    for claim in claims:
        tenant = session.get(Tenant, claim.tenant_id)
        _mail(session, effects, tenant, f"domain_claim_dropped:{claim.id}", "domain_claim_dropped",
              company=tenant.company, domain=domains.display(claim.name),
              domains_url=urls.domains())
        _event(session, claim.tenant_id, "domain_claim_dropped",
               f"{claim.name}: another site proved it owns the domain")
        session.delete(claim)


def _verify(session: Session, urls: Urls, domain: CustomDomain, tenant: Tenant, now: datetime,
            effects: Effects) -> bool:
    _lock_name(session, domain.name)
    if _held_by_another(session, domain):
        changed = domain.status != DomainStatus.MISCONFIGURED
        domain.status, domain.detail = DomainStatus.MISCONFIGURED, TAKEN
        _count_failure(domain, now)
        return changed
    was = domain.status
    domain.status, domain.detail, domain.lost_at, domain.failed_checks = (
        DomainStatus.VERIFIED, VERIFIED_DETAIL, None, 0)
    if was == DomainStatus.LOST:  # records back: no mail, a line for staff
        _event(session, tenant.id, "domain_restored", f"{domain.name}: records found again")
    else:
        domain.verified_at = now
        _mail(session, effects, tenant, f"domain_verified:{domain.id}:{int(now.timestamp())}",
              "domain_verified", company=tenant.company, domain=domains.display(domain.name),
              site_url=f"https://{domain.name}/", domains_url=urls.domains())
        _event(session, tenant.id, "domain_verified", domain.name)
    session.flush()
    _drop_other_claims(session, urls, domain, effects)
    return True


def _lose(session: Session, urls: Urls, settings: CheckSettings, domain: CustomDomain,
          tenant: Tenant, result: Verdict, now: datetime, effects: Effects) -> None:
    domain.status, domain.lost_at, domain.detail = DomainStatus.LOST, now, result.detail
    until = now + settings.lost_grace
    _mail(session, effects, tenant, f"domain_lost:{domain.id}:{int(now.timestamp())}", "domain_lost",
          company=tenant.company, domain=domains.display(domain.name),
          served_until=until.isoformat(), domains_url=urls.domains())  # shown in the tenant's zone
    _event(session, tenant.id, "domain_lost", f"{domain.name}: {result.detail}")


def apply(session: Session, urls: Urls, settings: CheckSettings, domain: CustomDomain,
          result: Verdict, effects: Effects, now: datetime | None = None) -> bool:
    """Apply a check's verdict to ``domain`` (locked by the caller); True when its status
    changed (then invalidate the routing cache after commit). Flushes."""
    now = now or utcnow()
    tenant = session.get(Tenant, domain.tenant_id)
    was = domain.status
    domain.last_checked_at = now
    if result.status == DomainStatus.VERIFIED:
        changed = was != DomainStatus.VERIFIED and _verify(session, urls, domain, tenant, now,
                                                           effects)
        if was == DomainStatus.VERIFIED:
            domain.detail, domain.failed_checks = VERIFIED_DETAIL, 0
    elif was == DomainStatus.VERIFIED:
        _lose(session, urls, settings, domain, tenant, result, now, effects)
        changed = True
    elif was == DomainStatus.LOST:
        domain.detail, changed = result.detail, False
    else:
        domain.status, domain.detail = result.status, result.detail
        _count_failure(domain, now)
        changed = was != result.status
    domain.next_check_at = next_check_at(domain, now)
    session.flush()
    return changed


def check(session: Session, urls: Urls, settings: CheckSettings, domain: CustomDomain,
          effects: Effects, now: datetime | None = None) -> bool:
    """Look ``domain`` up and apply the verdict; True when its status changed. When DNS does
    not answer, only the next try is scheduled. Flushes; the caller commits."""
    now = now or utcnow()
    try:
        findings = lookup(domain.name, settings.resolvers)
    except CouldNotCheck:
        domain.next_check_at = now + (OFTEN if _often(domain, now) else RETRY_AFTER_OUTAGE)
        session.flush()
        raise
    tenant = session.get(Tenant, domain.tenant_id)
    expected = domains.expected_records(domain.name, tenant.id, tenant.subdomain,
                                        settings.platform_domain, list(settings.addresses),
                                        settings.secret)
    return apply(session, urls, settings, domain,
                 verdict(domain.name, findings, expected, settings.addresses), effects, now)


# --- scheduling --------------------------------------------------------------------------

def _often(domain: CustomDomain, now: datetime) -> bool:
    return domain.checks_often_until is not None and now < domain.checks_often_until


def _count_failure(domain: CustomDomain, now: datetime) -> None:
    # The backoff starts when the hour of frequent checks ends, not with its sixty failures.
    domain.failed_checks = 0 if _often(domain, now) else domain.failed_checks + 1


def next_check_at(domain: CustomDomain, now: datetime) -> datetime:
    """Every minute while checks are often (just added, "Check now"); then every 6 hours for
    verified and lost domains, and with backoff for the others (5, 10, 20... minutes after
    1, 2, 3... failed checks in a row, at most 6 hours)."""
    if _often(domain, now):
        return now + OFTEN
    if domain.status in (DomainStatus.VERIFIED, DomainStatus.LOST):
        return now + WATCH_EVERY
    doublings = min(max(domain.failed_checks, 1) - 1, 10)
    return now + min(FIRST_BACKOFF * 2 ** doublings, MAX_BACKOFF)


def due(session: Session, now: datetime | None = None, limit: int = 100) -> list[CustomDomain]:
    """Domains whose check is due, oldest first, locked; rows another sweep holds are
    skipped, so no two sweeps check the same domain."""
    return list(session.scalars(due_query(now or utcnow(), limit)))


def due_query(now: datetime, limit: int = 100) -> Select:
    """``due``'s selection (through ``ix_custom_domains_next_check_at``)."""
    return (select(CustomDomain).where(CustomDomain.next_check_at <= now)
            .order_by(CustomDomain.next_check_at, CustomDomain.id).limit(limit)
            .with_for_update(skip_locked=True))


def for_staff(session: Session, name: str | None = None) -> list[tuple[CustomDomain, str]]:
    """Every domain (or every claim of ``name``) with its tenant's subdomain."""
    query = (select(CustomDomain, Tenant.subdomain).join(Tenant, Tenant.id == CustomDomain.tenant_id)
             .order_by(CustomDomain.name, CustomDomain.id))
    if name is not None:
        query = query.where(CustomDomain.name == name)
    return [(row, subdomain) for row, subdomain in session.execute(query)]
