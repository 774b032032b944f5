"""Signups: a validated request for a tenant, holding its subdomain until the first payment."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session

from db.base import utcnow
from db.languages import DEFAULT_LANGUAGE
from db.messages import N_, Message
from db.models import Signup, Subdomain, User
from db.models.signups import SignupStatus
from db.refusals import Refused
from plans.catalog import Catalog
from tenants import subdomains, trials
from tenants.passwords import hash_password, verify_password

# An unpaid signup holds its subdomain this long (Stripe accepts 30 minutes to 24 hours for
# the Checkout Session, which expires at the same moment).
RESERVATION = timedelta(hours=1)
# A resumed signup whose reservation ends sooner than this gets a fresh Checkout, so that the
# person is not sent to a payment page about to expire.
RENEW_BEFORE = timedelta(minutes=15)

# One wording for every address that cannot sign up again, whoever holds it (an owner, a member
# of any team, or a signup already paid for): the form tells nobody more than that.
EMAIL_TAKEN = N_("This email already has a Contyzr account. Sign in instead.")
SUBDOMAIN_TAKEN = N_("This subdomain is already taken.")

_SIGNUP_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass
class SignupRequest:
    company: str
    subdomain: str
    email: str
    password: str
    template: str
    plan_id: str
    interval: str
    language: str = DEFAULT_LANGUAGE  # the form's: the welcome mail's and the owner's
    site_language: str = DEFAULT_LANGUAGE  # the new site's starter content
    trial: bool = False  # start with the plan's free trial (once per email address)


def email_taken(session: Session, email: str) -> bool:
    """Whether this address belongs to any user (owner or not) or to a paid signup.

    Provisioning creates the owner with the signup's address and addresses are unique among
    users: a payment for such an address could never become a site.
    """
    lowered = email.strip().lower()
    if session.scalar(select(User.id).where(func.lower(User.email) == lowered).limit(1)):
        return True
    return session.scalar(select(Signup.id).where(
        func.lower(Signup.email) == lowered, Signup.status == SignupStatus.PAID).limit(1)) is not None


def check_template(catalog: Catalog, plan_id: str, template: str) -> str | None:
    plan = catalog.plan(plan_id)
    if template not in {t.id for t in catalog.templates_for(plan)}:
        return Message(N_("This template is not part of the %(plan)s plan."), plan=plan.name)
    return None


def find(session: Session, signup_id: str) -> Signup | None:
    """The signup with this id; None for anything that is not a signup id."""
    if not isinstance(signup_id, str) or not _SIGNUP_ID.match(signup_id):
        return None
    return session.get(Signup, signup_id)


def _same_person(signup: Signup, request: SignupRequest) -> bool:
    """Same email and same password: the password becomes the owner's, and resuming rebinds
    the onboarding page to the browser that sent the form, so knowing the email is not enough."""
    return (signup.email.lower() == request.email.lower()
            and verify_password(signup.password_hash, request.password))


def _pending_to_resume(session: Session, request: SignupRequest) -> Signup | None:
    signup = session.scalar(
        select(Signup).join(Subdomain, Subdomain.signup_id == Signup.id)
        .where(Subdomain.name == request.subdomain).with_for_update()
    )
    if signup is not None and signup.status == SignupStatus.PENDING and _same_person(signup, request):
        return signup
    return None


def _expired_to_resume(session: Session, request: SignupRequest) -> Signup | None:
    """The latest expired signup of this name and email, when its name is free again."""
    signup = session.scalar(
        select(Signup).where(Signup.subdomain == request.subdomain, Signup.status == SignupStatus.EXPIRED,
                             func.lower(Signup.email) == request.email.lower())
        .order_by(Signup.created_at.desc()).limit(1).with_for_update()
    )
    if signup is None or not _same_person(signup, request) \
            or subdomains.is_taken(session, request.subdomain):
        return None
    try:
        subdomains.claim(session, request.subdomain, signup.id)
    except subdomains.SubdomainTaken:
        return None
    signup.status = SignupStatus.PENDING
    signup.checkout_url = None  # its Checkout Session expired with it
    return signup


def _resume(signup: Signup, request: SignupRequest, browser_key_hash: str | None,
            now: datetime, reservation: timedelta) -> bool:
    """Bring the signup up to date with the form; True when it needs a new Checkout."""
    if browser_key_hash:
        signup.browser_key_hash = browser_key_hash
    signup.language, signup.site_language = request.language, request.site_language
    choice = (request.company, request.template, request.plan_id, request.interval, request.trial)
    renew = (choice != (signup.company, signup.template, signup.plan_id, signup.interval,
                        signup.trial)
             or not signup.checkout_url
             or signup.expires_at is None or signup.expires_at - now < RENEW_BEFORE)
    if renew:
        signup.company, signup.template, signup.plan_id, signup.interval, signup.trial = choice
        signup.expires_at = now + reservation
    return renew


def create_or_resume(
    session: Session, catalog: Catalog, request: SignupRequest,
    browser_key_hash: str | None = None, reservation: timedelta = RESERVATION,
) -> tuple[Signup, bool]:
    """Return the pending signup and whether it needs a new Checkout Session.

    The same person (same email and password) sending the form again for the same subdomain
    resumes their signup, pending or expired (while the name is still free), instead of
    creating a second one; its Checkout can be reused when nothing changed and enough of the
    reservation is left. ``browser_key_hash`` binds the onboarding page's sign-in to the
    browser that sent the form. Raises ``Refused`` naming the field at fault. Flushes.
    """
    problem = check_template(catalog, request.plan_id, request.template)
    if problem:
        raise Refused(problem, "template")
    # Hashed before any answer, so that a refusal takes as long as an acceptance.
    password_hash = hash_password(request.password)
    if email_taken(session, request.email):
        raise Refused(EMAIL_TAKEN, "email")
    plan = catalog.plan(request.plan_id)
    request.trial = bool(request.trial and plan is not None and plan.trial_days)
    if request.trial and trials.had_trial(session, request.email):
        raise Refused(trials.TRIAL_USED, "email")
    now = utcnow()
    signup = _pending_to_resume(session, request) or _expired_to_resume(session, request)
    if signup is not None:
        renew = _resume(signup, request, browser_key_hash, now, reservation)
        session.flush()
        return signup, renew
    if subdomains.is_taken(session, request.subdomain):
        raise Refused(SUBDOMAIN_TAKEN, "subdomain")
    signup = Signup(
        company=request.company, subdomain=request.subdomain, email=request.email,
        password_hash=password_hash, plan_id=request.plan_id,
        interval=request.interval, template=request.template,
        language=request.language, site_language=request.site_language, trial=request.trial,
        browser_key_hash=browser_key_hash, expires_at=now + reservation,
    )
    session.add(signup)
    session.flush()
    try:
        subdomains.claim(session, request.subdomain, signup.id)
    except subdomains.SubdomainTaken:
        session.delete(signup)
        session.flush()
        raise Refused(SUBDOMAIN_TAKEN, "subdomain") from None
    return signup, True


def due_to_expire(session: Session, now: datetime | None = None) -> list[str]:
    """Ids of unpaid signups whose reservation has ended."""
    return list(session.scalars(expiring(now or utcnow(), limit=None)))


def expiring(now: datetime, limit: int | None = 500, after: tuple | None = None) -> Select:
    """``due_to_expire``'s selection, by ``(expires_at, id)`` and after ``after`` (a batch's
    last), through ``ix_signups_pending_expiry``."""
    query = select(Signup.id).where(Signup.status == SignupStatus.PENDING,
                                    Signup.expires_at <= now)
    if after is not None:
        query = query.where(tuple_(Signup.expires_at, Signup.id) > tuple_(*after))
    return query.order_by(Signup.expires_at, Signup.id).limit(limit)


def expire(session: Session, signup: Signup) -> None:
    """End an unpaid reservation: the subdomain is free for anyone again. Flushes."""
    signup.status = SignupStatus.EXPIRED
    subdomains.release(session, signup.id)
    session.flush()
