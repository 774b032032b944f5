"""Provisioning: turn a paid signup into a live tenant, step by step, resumably.

Each step runs in its own transaction together with its record in the run, and is written
so that running it again changes nothing. A session-level advisory lock keeps two workers
from working on one signup at once; unique constraints (one tenant per signup, one user per
email, one mail per key) make a double effect impossible even without it.

Money was taken before any of this runs, so no step may dead-end quietly. A step that cannot
succeed as things stand (the owner's email belongs to another site, the subdomain is held by
someone else, the template left the plan, a provider or the mail service refuses) raises
``ProvisioningError``: the run is ``failed`` at once with the reason, staff see it in
``contyzr provisioning failed``, and ``contyzr provisioning retry`` finishes it once the cause
is fixed (``tenants.provisioning_repair``). Other errors are retried by the job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.base import utcnow
from db.locks import lock_customer
from db.models import (
    ProvisioningRun,
    ProvisioningStep,
    Signup,
    Subdomain,
    Subscription,
    Tenant,
    User,
)
from db.models.provisioning import RunStatus, StepOutcome
from db.models.signups import SignupStatus
from db.models.tenants import ProvisioningState, Role
from emails import outbox
from emails.errors import PermanentMailError
from emails.service import MailService
from links.urls import Urls
from plans.catalog import Catalog
from tenants import lifecycle, outbox_mails, seeding, subdomains
from tenants.lifecycle import Effects
from tenants.providers import Provider, ProviderError, SiteSpec, default_providers
from tenants.site_content import TEMPLATE_IDS

# A run that keeps failing for a passing reason (a provider or Resend down) is tried again
# after a doubling wait (see worker.jobs.provisioning.sweep_stuck_runs), at most this often
# across jobs and sweeps, then failed for staff like a permanent failure.
MAX_ATTEMPTS = 10
FIRST_BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600


class ProvisioningError(Exception):
    """A step cannot succeed as things stand: the run fails at once (no retries), with this
    message as the reason staff read; ``contyzr provisioning retry`` resumes it."""


@dataclass
class Services:
    catalog: Catalog
    urls: Urls
    secret_key: str
    mail: MailService
    providers: list[Provider] = field(default_factory=default_providers)


@dataclass
class Context:
    session: Session
    services: Services
    run: ProvisioningRun
    signup: Signup
    effects: Effects = field(default_factory=Effects)  # mails queued for delivery after commit
    _tenant: Tenant | None = None

    @property
    def tenant(self) -> Tenant:
        if self._tenant is None:
            self._tenant = self.session.scalar(select(Tenant).where(Tenant.signup_id == self.signup.id))
        return self._tenant


def subscription_of(session: Session, signup: Signup) -> Subscription | None:
    """The signup's subscription as last mirrored from Stripe (None before its first event)."""
    if signup.stripe_subscription_id:
        mirror = session.get(Subscription, signup.stripe_subscription_id, populate_existing=True)
        if mirror is not None:
            return mirror
    if not signup.stripe_customer_id:
        return None
    return session.scalar(
        select(Subscription).where(Subscription.customer_id == signup.stripe_customer_id)
        .order_by(Subscription.synced_at.desc()).limit(1)
        .execution_options(populate_existing=True))


def claim_subdomain(ctx: Context) -> str:
    """The paid-for name, held by this signup. A reservation that ended while the payment was
    on its way is taken again when the name is still free."""
    name, signup = ctx.signup.subdomain, ctx.signup
    claim = ctx.session.get(Subdomain, name)
    if claim is not None and claim.signup_id == signup.id:
        return name
    retry_hint = "give the signup another name: contyzr provisioning retry --subdomain"
    if claim is not None or ctx.session.scalar(
            select(Tenant.id).where(Tenant.subdomain == name, Tenant.signup_id != signup.id)):
        raise ProvisioningError(f"subdomain {name} is held by another signup; {retry_hint}")
    try:
        subdomains.claim(ctx.session, name, signup.id)
    except subdomains.SubdomainTaken:
        raise ProvisioningError(f"subdomain {name} was just taken by another signup; "
                                f"{retry_hint}") from None
    return f"{name} (claimed again: its reservation had ended)"


def create_tenant(ctx: Context) -> str:
    signup, catalog = ctx.signup, ctx.services.catalog
    mirror = subscription_of(ctx.session, signup)
    plan_id = (mirror and mirror.plan_id) or signup.plan_id
    if catalog.plan(plan_id) is None:
        raise ProvisioningError(f"plan {plan_id} is not in the catalog; restore it or retry "
                                "after changing the subscription's price")
    # Born "active" and hidden (status provisioning): the billing state is decided when it
    # goes live (activate), from the subscription as it is then.
    ctx.session.execute(
        insert(Tenant).values(
            signup_id=signup.id, company=signup.company, subdomain=signup.subdomain,
            plan_id=plan_id, interval=(mirror and mirror.interval) or signup.interval,
            template=signup.template, provisioning_state=ProvisioningState.PROVISIONING,
            stripe_customer_id=signup.stripe_customer_id,
            stripe_subscription_id=(mirror and mirror.id) or signup.stripe_subscription_id,
            site_settings={}, language=signup.site_language, languages=[signup.site_language],
        ).on_conflict_do_nothing(index_elements=["signup_id"])
    )
    tenant = ctx.tenant
    ctx.run.tenant_id = tenant.id
    return f"tenant {tenant.id}"


def _user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def create_owner(ctx: Context) -> str:
    tenant, email = ctx.tenant, ctx.signup.email
    owner = _user_by_email(ctx.session, email)
    if owner is None:
        ctx.session.execute(
            insert(User).values(tenant_id=tenant.id, email=email,
                                password_hash=ctx.signup.password_hash, role=Role.OWNER,
                                language=ctx.signup.language)
            .on_conflict_do_nothing(index_elements=["email"])
        )
        owner = _user_by_email(ctx.session, email)
    if owner.tenant_id != tenant.id:
        raise ProvisioningError(f"{email} already belongs to a user of another site; give the "
                                "owner another address: contyzr provisioning retry --email")
    return f"owner {owner.id}"


def _check_template(ctx: Context) -> None:
    tenant, catalog = ctx.tenant, ctx.services.catalog
    plan = catalog.plan(tenant.plan_id)
    allowed = {template.id for template in catalog.templates_for(plan)} if plan else set()
    if tenant.template not in TEMPLATE_IDS or tenant.template not in allowed:
        raise ProvisioningError(f"template {tenant.template} is not part of the {tenant.plan_id} "
                                "plan; choose one that is: contyzr provisioning retry --template")


def seed_site(ctx: Context) -> str:
    _check_template(ctx)
    return seeding.seed_site(ctx.session, ctx.tenant)


def apply_settings(ctx: Context) -> str:
    _check_template(ctx)
    return seeding.apply_settings(ctx.tenant)


def external_providers(ctx: Context) -> str:
    tenant = ctx.tenant
    hostname = f"{tenant.subdomain}.{ctx.services.urls.platform_domain}"
    spec = SiteSpec(tenant_id=tenant.id, subdomain=tenant.subdomain, hostname=hostname)
    details = []
    for provider in ctx.services.providers:
        try:
            details.append(provider.apply(spec))
        except ProviderError as exc:
            if exc.transient:
                raise
            raise ProvisioningError(f"provider {provider.name} refused {hostname}: {exc}; "
                                    "fix it there, then: contyzr provisioning retry") from exc
    return "; ".join(details)


def activate(ctx: Context) -> str:
    """Live, in the billing state its subscription calls for as it is now: decided under the
    customer's lock, so an event of this customer is applied wholly before or after it, with
    the mails that state owes (a suspension's, a dunning reminder) through the outbox."""
    session, tenant, services = ctx.session, ctx.tenant, ctx.services
    if tenant.stripe_customer_id:
        lock_customer(session, tenant.stripe_customer_id)
    session.refresh(tenant, with_for_update=True)
    if tenant.provisioning_state == ProvisioningState.PROVISIONING:
        lifecycle.start(session, services.catalog, services.urls, tenant,
                        subscription_of(session, ctx.signup), ctx.effects)
        tenant.provisioning_state = ProvisioningState.ACTIVE
    ctx.signup.status = SignupStatus.READY
    return f"live ({tenant.billing_state})"


def welcome_mail(ctx: Context) -> str:
    """Queue the welcome mail in the outbox and deliver it in this step's transaction, so the
    run succeeds only once the mail was accepted (a refused address fails the run for staff to
    repair with ``--email``). Its sign-in link is derived at delivery from the row's key."""
    tenant, services = ctx.tenant, ctx.services
    owner = ctx.session.scalar(select(User).where(User.tenant_id == tenant.id,
                                                  User.role == Role.OWNER).order_by(User.id))
    key = outbox_mails.welcome_key(tenant.id)
    outbox.queue_mail(ctx.session, key=key, kind="welcome", to=owner.email,
                      params={"user_id": owner.id}, tenant_id=tenant.id)
    try:
        log = outbox.deliver(ctx.session, services.mail, key,
                             outbox_mails.context_for(services.urls, services.secret_key))
    except PermanentMailError as exc:
        raise ProvisioningError(f"the welcome mail to {owner.email} was refused: {exc}; fix the "
                                "address: contyzr provisioning retry --email") from exc
    return f"accepted as {log.provider_id}"


STEPS: list[tuple[str, Callable[[Context], str]]] = [
    ("claim_subdomain", claim_subdomain),
    ("create_tenant", create_tenant),
    ("create_owner", create_owner),
    ("seed_site", seed_site),
    ("apply_settings", apply_settings),
    ("external_providers", external_providers),
    ("activate", activate),
    ("welcome_mail", welcome_mail),
]
STEP_NAMES = [name for name, _ in STEPS]


def ensure_run(session: Session, signup_id: str) -> ProvisioningRun:
    session.execute(insert(ProvisioningRun).values(signup_id=signup_id, status=RunStatus.QUEUED)
                    .on_conflict_do_nothing(index_elements=["signup_id"]))
    return session.scalar(select(ProvisioningRun).where(ProvisioningRun.signup_id == signup_id))


def _try_lock(session: Session, signup_id: str) -> bool:
    key = func.hashtextextended("provision:" + signup_id, 0)
    return bool(session.scalar(select(func.pg_try_advisory_lock(key))))


def _unlock(session: Session, signup_id: str) -> None:
    session.scalar(select(func.pg_advisory_unlock(func.hashtextextended("provision:" + signup_id, 0))))


def run_provisioning(session: Session, services: Services, signup_id: str,
                     final_attempt: bool = True, effects: Effects | None = None) -> ProvisioningRun:
    """Run the remaining steps for this signup. Commits after each step.

    Returns the run; when another worker holds the signup, or the run has failed (only
    ``contyzr provisioning retry`` queues it again), it returns at once. On an error the run
    records it and the exception propagates (for the job's retries); after the final attempt,
    or at once for a ``ProvisioningError``, the run is ``failed``. Mails queued in the outbox
    are added to ``effects`` for the caller to enqueue.
    """
    signup = session.get(Signup, signup_id)
    if signup is None:
        raise ProvisioningError(f"no signup {signup_id}")
    run = ensure_run(session, signup_id)
    session.commit()
    if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED) or not _try_lock(session, signup_id):
        return run
    try:
        session.refresh(run)
        if run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED):
            return run
        run.status, run.attempts, run.error = RunStatus.RUNNING, run.attempts + 1, None
        run.started_at = run.started_at or utcnow()
        run.heartbeat_at = utcnow()
        session.commit()
        ctx = Context(session, services, run, signup, effects if effects is not None else Effects())
        done = {step.name for step in run.steps if step.outcome == StepOutcome.DONE}
        for name, step_function in STEPS:
            if name in done:
                continue
            started = utcnow()
            detail = step_function(ctx)
            session.execute(
                insert(ProvisioningStep)
                .values(run_id=run.id, name=name, started_at=started, finished_at=utcnow(),
                        outcome=StepOutcome.DONE, detail=detail)
                .on_conflict_do_update(index_elements=["run_id", "name"], set_={
                    "started_at": started, "finished_at": utcnow(), "outcome": StepOutcome.DONE,
                    "detail": detail})
            )
            run.heartbeat_at = utcnow()
            session.commit()  # the step's work and its record, together
        run.status, run.finished_at = RunStatus.SUCCEEDED, utcnow()
        session.commit()
        return run
    except BaseException as exc:
        session.rollback()
        _record_failure(session, run, exc, final_attempt or isinstance(exc, ProvisioningError))
        raise
    finally:
        _unlock(session, signup_id)
        session.commit()


def _record_failure(session: Session, run: ProvisioningRun, exc: BaseException,
                    final_attempt: bool) -> None:
    """The failed step and the reason; ``failed`` after the final attempt, a permanent error,
    or ``MAX_ATTEMPTS`` attempts in all, else ``queued`` for the job's retry or the sweep."""
    session.refresh(run)
    final_attempt = final_attempt or run.attempts >= MAX_ATTEMPTS
    message = f"{type(exc).__name__}: {exc}"[:2000]
    done = {step.name for step in run.steps if step.outcome == StepOutcome.DONE}
    failed_step = next((name for name in STEP_NAMES if name not in done), None)
    if failed_step is not None:
        now = utcnow()
        session.execute(
            insert(ProvisioningStep)
            .values(run_id=run.id, name=failed_step, started_at=now, finished_at=now,
                    outcome=StepOutcome.FAILED, detail=message)
            .on_conflict_do_update(index_elements=["run_id", "name"], set_={
                "finished_at": now, "outcome": StepOutcome.FAILED, "detail": message})
        )
    run.error = message
    run.status = RunStatus.FAILED if final_attempt else RunStatus.QUEUED
    run.heartbeat_at = utcnow()  # the sweep's backoff counts from the failure
    if final_attempt:
        run.finished_at = utcnow()
    session.commit()


def runs_to_resume(session: Session, stuck_after: timedelta) -> list[str]:
    """Signup ids of runs to start again: runs that stopped moving (a worker killed mid-run,
    Redis down at enqueue time) and runs whose last attempt failed once their backoff has
    passed (``FIRST_BACKOFF_SECONDS``, doubling, at most ``MAX_BACKOFF_SECONDS``; after
    ``MAX_ATTEMPTS`` in all the run is failed and not resumed)."""
    return list(session.scalars(resumable(utcnow(), stuck_after)))


def resumable(now: datetime, stuck_after: timedelta, limit: int = 1000) -> Select:
    """``runs_to_resume``'s selection, oldest first (through ``ix_provisioning_runs_unfinished``:
    runs queued or running)."""
    cutoff = now - stuck_after
    backoff = func.make_interval(0, 0, 0, 0, 0, 0, func.least(
        FIRST_BACKOFF_SECONDS * func.power(2, func.greatest(ProvisioningRun.attempts - 1, 0)),
        MAX_BACKOFF_SECONDS))
    return (select(ProvisioningRun.signup_id).where(
        ProvisioningRun.status.in_((RunStatus.QUEUED, RunStatus.RUNNING)),
        or_(ProvisioningRun.heartbeat_at.is_(None) & (ProvisioningRun.created_at < cutoff),
            (ProvisioningRun.heartbeat_at < cutoff)
            & (ProvisioningRun.error.is_(None) | (ProvisioningRun.status == RunStatus.RUNNING)),
            (ProvisioningRun.status == RunStatus.QUEUED) & ProvisioningRun.error.is_not(None)
            & (ProvisioningRun.heartbeat_at + backoff < now)),
    ).order_by(ProvisioningRun.created_at).limit(limit))
