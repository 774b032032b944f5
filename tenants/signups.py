"""Signups: a validated request for a tenant, waiting for its first payment."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing.catalog import Catalog
from db.models import Signup, Subdomain, User
from tenants import subdomains
from tenants.passwords import hash_password, verify_password
from tenants.tokens import new_token, token_hash


@dataclass
class SignupRequest:
    company: str
    subdomain: str
    email: str
    password: str
    template: str
    plan_id: str
    interval: str


class SignupRejected(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def email_is_owner(session: Session, email: str) -> bool:
    return session.scalar(
        select(User.id).where(func.lower(User.email) == email.lower(), User.role == "owner")
    ) is not None


def check_template(catalog: Catalog, plan_id: str, template: str) -> str | None:
    plan = catalog.plan(plan_id)
    if template not in {t.id for t in catalog.templates_for(plan)}:
        return f"This template is not part of the {plan.name} plan."
    return None


def _resumable(session: Session, request: SignupRequest) -> Signup | None:
    """The same person submitting again: same subdomain, email and password, still pending."""
    signup = session.scalar(
        select(Signup).join(Subdomain, Subdomain.signup_id == Signup.id)
        .where(Subdomain.name == request.subdomain).with_for_update()
    )
    if (signup is not None and signup.status == "pending"
            and signup.email.lower() == request.email.lower()
            and verify_password(signup.password_hash, request.password)):
        return signup
    return None


def create_or_resume(
    session: Session, catalog: Catalog, request: SignupRequest
) -> tuple[Signup, str | None]:
    """Return the pending signup and, when a new Checkout is needed, a fresh onboarding token.

    A repeated submission by the same person resumes the first signup instead of creating a
    second one; the token is None when its Checkout can be reused unchanged. Only a hash of
    the token is stored. Raises ``SignupRejected`` naming the field at fault.
    """
    problem = check_template(catalog, request.plan_id, request.template)
    if problem:
        raise SignupRejected("template", problem)
    # Hashed before any answer, so that a refusal takes as long as an acceptance.
    password_hash = hash_password(request.password)
    if email_is_owner(session, request.email):
        raise SignupRejected("email", "This email already has a Contyzr account. Sign in instead.")
    signup = _resumable(session, request)
    if signup is not None:
        choice = (request.company, request.template, request.plan_id, request.interval)
        if choice == (signup.company, signup.template, signup.plan_id, signup.interval):
            return signup, None
        signup.company, signup.template, signup.plan_id, signup.interval = choice
        token = new_token()
        signup.onboarding_token_hash = token_hash(token)
        session.flush()
        return signup, token
    if subdomains.is_taken(session, request.subdomain):
        raise SignupRejected("subdomain", "This subdomain is already taken.")
    token = new_token()
    signup = Signup(
        company=request.company, subdomain=request.subdomain, email=request.email,
        password_hash=password_hash, plan_id=request.plan_id,
        interval=request.interval, template=request.template,
        onboarding_token_hash=token_hash(token),
    )
    session.add(signup)
    session.flush()
    try:
        subdomains.claim(session, request.subdomain, signup.id)
    except subdomains.SubdomainTaken:
        session.delete(signup)
        session.flush()
        raise SignupRejected("subdomain", "This subdomain is already taken.") from None
    return signup, token


def by_token(session: Session, token: str) -> Signup | None:
    return session.scalar(select(Signup).where(Signup.onboarding_token_hash == token_hash(token)))
