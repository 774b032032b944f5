"""Provisioning: turn a paid signup into a live tenant, step by step, resumably.

Each step runs in its own transaction together with its record in the run, and is written
so that running it again changes nothing. A session-level advisory lock keeps two workers
from working on one signup at once; unique constraints (one tenant per signup, one user per
email, one mail per key) make a double effect impossible even without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from billing.catalog import Catalog
from db.base import utcnow
from db.models import (
    ProvisioningRun,
    ProvisioningStep,
    Signup,
    Subdomain,
    Subscription,
    Tenant,
    User,
)
from emails import mails
from emails.render import render
from emails.send import send_once
from tenants import seeding, signin
from tenants.providers import Provider, SiteSpec, default_providers
from tenants.urls import Urls


class ProvisioningError(Exception):
    """A step cannot succeed as things stand (not worth retrying)."""


@dataclass
class Services:
    catalog: Catalog
    urls: Urls
    secret_key: str
    mail_sender: object
    mail_limiter: object | None = None
    providers: list[Provider] = field(default_factory=default_providers)


@dataclass
class Context:
    session: Session
    services: Services
    run: ProvisioningRun
    signup: Signup
    _tenant: Tenant | None = None

    @property
    def tenant(self) -> Tenant:
        if self._tenant is None:
            self._tenant = self.session.scalar(select(Tenant).where(Tenant.signup_id == self.signup.id))
        return self._tenant


def _initial_billing(ctx: Context, mirror: Subscription | None) -> dict:
    """The new tenant's billing state from its subscription as last seen (usually active)."""
    status = mirror.status if mirror else "active"
    if status in ("active", "trialing"):
        return {"billing_state": "active"}
    if status in ("past_due", "incomplete"):
        grace = ctx.services.catalog.plan((mirror and mirror.plan_id) or ctx.signup.plan_id).grace_days
        return {"billing_state": "past_due", "past_due_since": utcnow(),
                "grace_until": utcnow() + timedelta(days=grace)}
    return {"billing_state": "suspended", "suspended_at": utcnow(),
            "suspension_reason": f"subscription {status}"}


def create_tenant(ctx: Context) -> str:
    signup = ctx.signup
    mirror = ctx.session.scalar(
        select(Subscription).where(Subscription.customer_id == signup.stripe_customer_id)
        .order_by(Subscription.synced_at.desc()).limit(1))
    ctx.session.execute(
        insert(Tenant).values(
            signup_id=signup.id, company=signup.company, subdomain=signup.subdomain,
            plan_id=(mirror and mirror.plan_id) or signup.plan_id,
            interval=(mirror and mirror.interval) or signup.interval,
            template=signup.template, status="provisioning",
            stripe_customer_id=signup.stripe_customer_id,
            stripe_subscription_id=(mirror and mirror.id) or signup.stripe_subscription_id,
            site_settings={}, **_initial_billing(ctx, mirror),
        ).on_conflict_do_nothing(index_elements=["signup_id"])
    )
    tenant = ctx.tenant
    ctx.run.tenant_id = tenant.id
    return f"tenant {tenant.id}"


def claim_subdomain(ctx: Context) -> str:
    claim = ctx.session.get(Subdomain, ctx.signup.subdomain)
    if claim is None or claim.signup_id != ctx.signup.id:
        raise ProvisioningError(f"subdomain {ctx.signup.subdomain} is not held by this signup")
    return ctx.signup.subdomain


def create_owner(ctx: Context) -> str:
    tenant = ctx.tenant
    ctx.session.execute(
        insert(User).values(tenant_id=tenant.id, email=ctx.signup.email,
                            password_hash=ctx.signup.password_hash, role="owner")
        .on_conflict_do_nothing(index_elements=["email"])
    )
    owner = ctx.session.scalar(select(User).where(User.email == ctx.signup.email))
    if owner.tenant_id != tenant.id:
        raise ProvisioningError(f"{ctx.signup.email} already belongs to another site")
    return f"owner {owner.id}"


def seed_site(ctx: Context) -> str:
    return seeding.seed_site(ctx.session, ctx.tenant)


def apply_settings(ctx: Context) -> str:
    return seeding.apply_settings(ctx.tenant)


def external_providers(ctx: Context) -> str:
    tenant = ctx.tenant
    hostname = f"{tenant.subdomain}.{ctx.services.urls.platform_domain}"
    spec = SiteSpec(tenant_id=tenant.id, subdomain=tenant.subdomain, hostname=hostname)
    return "; ".join(provider.apply(spec) for provider in ctx.services.providers)


def activate(ctx: Context) -> str:
    tenant = ctx.tenant
    tenant.status = "active"
    ctx.signup.status = "ready"
    return "live"


def welcome_mail(ctx: Context) -> str:
    tenant, services = ctx.tenant, ctx.services
    owner = ctx.session.scalar(select(User).where(User.tenant_id == tenant.id,
                                                  User.role == "owner").order_by(User.id))
    key = f"welcome-{tenant.id}"
    token = signin.issue(ctx.session, owner, "welcome", signin.WELCOME_TTL,
                         token=signin.derived_token(services.secret_key, key))
    mail = render("welcome", **mails.welcome(
        company=tenant.company, site_url=services.urls.site(tenant.subdomain),
        portal_url=services.urls.portal(), signin_url=services.urls.signin(token)))
    log = send_once(ctx.session, services.mail_sender, services.mail_limiter, key=key,
                    kind="welcome", to=owner.email, mail=mail, tenant_id=tenant.id)
    return f"accepted as {log.provider_id}"


STEPS: list[tuple[str, Callable[[Context], str]]] = [
    ("create_tenant", create_tenant),
    ("claim_subdomain", claim_subdomain),
    ("create_owner", create_owner),
    ("seed_site", seed_site),
    ("apply_settings", apply_settings),
    ("external_providers", external_providers),
    ("activate", activate),
    ("welcome_mail", welcome_mail),
]
STEP_NAMES = [name for name, _ in STEPS]


def ensure_run(session: Session, signup_id: str) -> ProvisioningRun:
    session.execute(insert(ProvisioningRun).values(signup_id=signup_id, status="queued")
                    .on_conflict_do_nothing(index_elements=["signup_id"]))
    return session.scalar(select(ProvisioningRun).where(ProvisioningRun.signup_id == signup_id))


def _try_lock(session: Session, signup_id: str) -> bool:
    key = func.hashtextextended("provision:" + signup_id, 0)
    return bool(session.scalar(select(func.pg_try_advisory_lock(key))))


def _unlock(session: Session, signup_id: str) -> None:
    session.scalar(select(func.pg_advisory_unlock(func.hashtextextended("provision:" + signup_id, 0))))


def run_provisioning(session: Session, services: Services, signup_id: str,
                     final_attempt: bool = True) -> ProvisioningRun:
    """Run the remaining steps for this signup. Commits after each step.

    Returns the run; when another worker holds the signup it returns at once. On an error
    the run records it and the exception propagates (for the job's retries); after the final
    attempt the run is ``failed``.
    """
    signup = session.get(Signup, signup_id)
    if signup is None:
        raise ProvisioningError(f"no signup {signup_id}")
    run = ensure_run(session, signup_id)
    session.commit()
    if run.status == "succeeded" or not _try_lock(session, signup_id):
        return run
    try:
        session.refresh(run)
        if run.status == "succeeded":
            return run
        run.status, run.attempts, run.error = "running", run.attempts + 1, None
        run.started_at = run.started_at or utcnow()
        run.heartbeat_at = utcnow()
        session.commit()
        ctx = Context(session, services, run, signup)
        done = {step.name for step in run.steps if step.outcome == "done"}
        for name, step_function in STEPS:
            if name in done:
                continue
            started = utcnow()
            detail = step_function(ctx)
            session.execute(
                insert(ProvisioningStep)
                .values(run_id=run.id, name=name, started_at=started, finished_at=utcnow(),
                        outcome="done", detail=detail)
                .on_conflict_do_update(index_elements=["run_id", "name"], set_={
                    "started_at": started, "finished_at": utcnow(), "outcome": "done",
                    "detail": detail})
            )
            run.heartbeat_at = utcnow()
            session.commit()  # the step's work and its record, together
        run.status, run.finished_at = "succeeded", utcnow()
        session.commit()
        return run
    except BaseException as exc:
        session.rollback()
        _record_failure(session, run, exc, final_attempt)
        raise
    finally:
        _unlock(session, signup_id)
        session.commit()


def _record_failure(session: Session, run: ProvisioningRun, exc: BaseException,
                    final_attempt: bool) -> None:
    session.refresh(run)
    message = f"{type(exc).__name__}: {exc}"[:2000]
    done = {step.name for step in run.steps if step.outcome == "done"}
    failed_step = next((name for name in STEP_NAMES if name not in done), None)
    if failed_step is not None:
        now = utcnow()
        session.execute(
            insert(ProvisioningStep)
            .values(run_id=run.id, name=failed_step, started_at=now, finished_at=now,
                    outcome="failed", detail=message)
            .on_conflict_do_update(index_elements=["run_id", "name"], set_={
                "finished_at": now, "outcome": "failed", "detail": message})
        )
    run.error = message
    run.status = "failed" if final_attempt else "queued"
    session.commit()
