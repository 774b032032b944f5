"""The contact form on a tenant's site: its form token, spam checks, limits and storage.

The form carries a token of its own (signed with the app's secret; the tenant id, a random id
and the time it was rendered), not the portal's session CSRF token: visitors have no session.
A token is good once, for a day, and not within ``MIN_FILL_SECONDS`` of its rendering (no
person fills a form that fast). A filled honeypot or a too fast answer is spam: counted per
tenant, answered like a success, never stored. Each address may send ``PER_ADDRESS`` per ten
minutes to one tenant, and a tenant receives at most ``PER_TENANT`` an hour (the ``limits``
library, a moving window in Redis shared by every web process).
"""

from __future__ import annotations

import csv
import io
import secrets
import time

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import RateLimitItemPerHour, RateLimitItemPerMinute
from redis import Redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.messages import N_, Message
from db.models import ContactSubmission, Tenant
from db.refusals import Refused
from emails.outbox import queue_mail
from tenants.notifications import recipients
from tenants.rate_limits import moving_window
from tenants.scope import scoped

SALT = "contyzr-contact-form"
MIN_FILL_SECONDS = 3
MAX_AGE_SECONDS = 86400
NAME_MAX, MESSAGE_MAX = 100, 5000
PER_ADDRESS = RateLimitItemPerMinute(5, 10)
PER_TENANT = RateLimitItemPerHour(100)
USED_PREFIX = "contyzr-contact-used:"
SPAM_PREFIX = "contyzr-contact-spam:"
LIMIT_PREFIX = "contyzr-contact"
HONEYPOT = "website"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def issue_token(secret_key: str, tenant_id: int) -> str:
    """A fresh form token for one rendering of the form on this tenant's site."""
    return _serializer(secret_key).dumps({"t": tenant_id, "n": secrets.token_urlsafe(12)})


def _read_token(secret_key: str, tenant_id: int, token: str) -> tuple[str, float]:
    """The token's random id and age in seconds; Refused when it is not this site's or too old."""
    try:
        payload, signed_at = _serializer(secret_key).loads(
            token or "", max_age=MAX_AGE_SECONDS, return_timestamp=True)
    except SignatureExpired:
        raise Refused(N_("This form has expired. Please reload the page and try again."),
                      status=400) from None
    except BadSignature:
        raise Refused(N_("This form could not be checked. Please reload the page and try "
                         "again."), status=400) from None
    if not isinstance(payload, dict) or payload.get("t") != tenant_id \
            or not isinstance(payload.get("n"), str):
        raise Refused(N_("This form could not be checked. Please reload the page and try "
                         "again."), status=400)
    return payload["n"], time.time() - signed_at.timestamp()


def _clean(name: str, email: str, message: str) -> tuple[str, str, str]:
    name, email, message = (name or "").strip(), (email or "").strip(), (message or "").strip()
    if any("\x00" in value for value in (name, email, message)):
        raise Refused(N_("The form contains characters that cannot be sent."), status=400)
    if not name:
        raise Refused(N_("Please fill in your name."), field="name")
    if len(name) > NAME_MAX:
        raise Refused(Message(N_("Your name can be at most %(count)s characters."),
                              count=NAME_MAX), field="name")
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        raise Refused(N_("Please give a valid email address."), field="email") from None
    if not message:
        raise Refused(N_("Please write a message."), field="message")
    if len(message) > MESSAGE_MAX:
        raise Refused(Message(N_("Your message can be at most %(count)s characters."),
                              count=MESSAGE_MAX), field="message")
    return name, email, message


def _within_limits(redis: Redis, tenant_id: int, address: str) -> bool:
    limiter = moving_window(redis, LIMIT_PREFIX)
    return (limiter.test(PER_ADDRESS, str(tenant_id), address)
            and limiter.hit(PER_TENANT, str(tenant_id))
            and limiter.hit(PER_ADDRESS, str(tenant_id), address))


def spam_count(redis: Redis, tenant_id: int) -> int:
    return int(redis.get(f"{SPAM_PREFIX}{tenant_id}") or 0)


def submit(session: Session, redis: Redis, secret_key: str, tenant: Tenant, *, form: dict,
           address: str, inbox_url: str) -> list[str] | None:
    """Store one message sent through the site's form and queue one mail to each member who
    opted in (``tenants.notifications``; Reply-To is the visitor). Flushes; the caller commits
    and then delivers the mails by the returned keys (none when nobody opted in). None for spam
    (nothing stored: answer as if it was sent). Refused for a bad token, bad input, a replay or
    too many."""
    token_id, age = _read_token(secret_key, tenant.id, form.get("form_token", ""))
    if form.get(HONEYPOT) or age < MIN_FILL_SECONDS:
        redis.incr(f"{SPAM_PREFIX}{tenant.id}")
        return None
    name, email, message = _clean(form.get("name", ""), form.get("email", ""),
                                  form.get("message", ""))
    if not redis.set(f"{USED_PREFIX}{token_id}", 1, nx=True, ex=MAX_AGE_SECONDS):
        raise Refused(N_("This form was sent already. Please reload the page to send another "
                         "message."), status=409)
    if not _within_limits(redis, tenant.id, address):
        raise Refused(N_("Too many messages were sent just now. Please try again later."),
                      status=429)
    page_slug = (form.get("page") or "")[:80].replace("\x00", "")
    row = ContactSubmission(tenant_id=tenant.id, name=name, email=email, message=message,
                            page_slug=page_slug)
    session.add(row)
    session.flush()
    params = {"company": tenant.company, "name": name, "email": email, "message": message,
              "page_slug": page_slug, "inbox_url": inbox_url}
    keys = []
    for member in recipients(session, tenant.id):
        key = f"contact_submission:{row.id}:{member.id}"  # one mail per message and member
        queue_mail(session, key=key, kind="contact_submission", to=member.email,
                   tenant_id=tenant.id, params=params)
        keys.append(key)
    return keys


# The portal's inbox.

def inbox(session: Session, tenant_id: int) -> list[ContactSubmission]:
    """The tenant's messages, newest first."""
    return list(session.scalars(scoped(ContactSubmission, tenant_id).order_by(
        ContactSubmission.created_at.desc(), ContactSubmission.id.desc())))


def unhandled_count(session: Session, tenant_id: int) -> int:
    return session.scalar(select(func.count()).select_from(ContactSubmission).where(
        ContactSubmission.tenant_id == tenant_id, ContactSubmission.handled_at.is_(None))) or 0


def mark_handled(row: ContactSubmission, handled: bool = True) -> None:
    row.handled_at = (row.handled_at or utcnow()) if handled else None


def safe_cell(value: str) -> str:
    """A spreadsheet must not read a visitor's text as a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(rows: list[ContactSubmission]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["received", "name", "email", "page", "message", "handled"])
    for row in rows:
        writer.writerow([row.created_at.isoformat(timespec="seconds"), safe_cell(row.name),
                         safe_cell(row.email), safe_cell(row.page_slug), safe_cell(row.message),
                         row.handled_at.isoformat(timespec="seconds") if row.handled_at else ""])
    return out.getvalue()
