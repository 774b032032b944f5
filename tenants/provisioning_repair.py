"""What staff need to finish a provisioning run that failed after the customer paid.

``runs_for_staff`` lists runs, failed ones first with the step and the reason. ``prepare_retry``
applies the decisions a repair may need and queues the run again; completed steps are kept,
so the retry finishes the run exactly once:

- ``email``: the owner's address is taken by a user of another site, or the welcome mail was
  refused: the owner gets this address instead (the signup's password stays theirs).
- ``subdomain``: the paid-for name is held by another signup: the site gets this name.
- ``template``: the template left the plan: the site is seeded from this one instead.

Without options the run is simply queued again, for a cause fixed elsewhere (a provider, the
catalog, a user removed from the other site).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from db.models import MailLog, ProvisioningRun, ProvisioningStep, Signup, Tenant, User
from db.models.mail import MailStatus
from db.models.provisioning import RunStatus, StepOutcome
from db.models.signups import SignupStatus
from db.models.tenants import Role
from db.refusals import Refused
from plans.catalog import Catalog
from tenants import subdomains
from tenants.site_content import TEMPLATE_IDS


@dataclass(frozen=True)
class RunLine:
    signup_id: str
    subdomain: str
    email: str
    status: str
    attempts: int
    failed_step: str | None
    error: str | None
    paid_at: datetime | None


def runs_for_staff(session: Session, status: str | None = None) -> list[RunLine]:
    """Provisioning runs, failed first (oldest failure first), then the others by age."""
    failed_step = (select(ProvisioningStep.name)
                   .where(ProvisioningStep.run_id == ProvisioningRun.id,
                          ProvisioningStep.outcome == StepOutcome.FAILED)
                   .order_by(ProvisioningStep.id).limit(1).scalar_subquery())
    query = (select(ProvisioningRun, Signup, failed_step)
             .join(Signup, Signup.id == ProvisioningRun.signup_id)
             .order_by(case((ProvisioningRun.status == RunStatus.FAILED, 0), else_=1),
                       ProvisioningRun.id)
             .execution_options(populate_existing=True))
    if status:
        query = query.where(ProvisioningRun.status == status)
    return [RunLine(signup.id, signup.subdomain, signup.email, run.status, run.attempts, step,
                    run.error, signup.paid_at)
            for run, signup, step in session.execute(query)]


def _done(session: Session, run: ProvisioningRun) -> set[str]:
    return set(session.scalars(select(ProvisioningStep.name).where(
        ProvisioningStep.run_id == run.id, ProvisioningStep.outcome == StepOutcome.DONE)))


def _new_email(session: Session, signup: Signup, tenant: Tenant | None, done: set[str],
               email: str) -> str:
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Refused(f"--email: {exc}") from None
    if "welcome_mail" in done:
        raise Refused("--email: the welcome mail was already sent; the owner can change "
                      "the address in the portal")
    user = session.scalar(select(User).where(func.lower(User.email) == email))
    owner = session.scalar(select(User).where(User.tenant_id == tenant.id, User.role == Role.OWNER)
                           .order_by(User.id)) if tenant is not None else None
    if user is not None and user is not owner:
        raise Refused(f"--email: {email} already belongs to a user")
    if session.scalar(select(Signup.id).where(func.lower(Signup.email) == email,
                                              Signup.status.in_((SignupStatus.PAID, SignupStatus.READY)),
                                              Signup.id != signup.id)):
        raise Refused(f"--email: {email} belongs to another paid signup")
    previous, signup.email = signup.email, email
    if owner is not None:
        owner.email = email
        # The refused welcome mail goes to the new address on the next try (same key).
        session.execute(update(MailLog).where(MailLog.idempotency_key == f"welcome-{tenant.id}",
                                              MailLog.status != MailStatus.SENT)
                        .values(to_address=email))
    return f"email {previous} -> {email}"


def _new_subdomain(session: Session, signup: Signup, tenant: Tenant | None, done: set[str],
                   name: str) -> str:
    name = name.strip().lower()
    problem = subdomains.subdomain_problem(name)
    if problem:
        raise Refused(f"--subdomain: {problem}")
    if "external_providers" in done:
        raise Refused("--subdomain: the site is already set up at its providers under "
                      f"{signup.subdomain}")
    if name != signup.subdomain:
        if subdomains.is_taken(session, name):
            raise Refused(f"--subdomain: {name} is taken")
        subdomains.release(session, signup.id)
        try:
            subdomains.claim(session, name, signup.id)
        except subdomains.SubdomainTaken:
            raise Refused(f"--subdomain: {name} is taken") from None
    previous, signup.subdomain = signup.subdomain, name
    if tenant is not None:
        tenant.subdomain = name
    return f"subdomain {previous} -> {name}"


def _new_template(catalog: Catalog, signup: Signup, tenant: Tenant | None, done: set[str],
                  template: str) -> str:
    plan_id = tenant.plan_id if tenant is not None else signup.plan_id
    plan = catalog.plan(plan_id)
    allowed = {t.id for t in catalog.templates_for(plan)} if plan else set()
    if template not in TEMPLATE_IDS or template not in allowed:
        raise Refused(f"--template: {template} is not part of the {plan_id} plan "
                      f"(choose from {', '.join(sorted(allowed)) or 'nothing'})")
    if done & {"seed_site", "apply_settings"}:
        raise Refused("--template: the site was already seeded from "
                      f"{tenant.template if tenant else signup.template}")
    previous, signup.template = signup.template, template
    if tenant is not None:
        tenant.template = template
    return f"template {previous} -> {template}"


def prepare_retry(session: Session, catalog: Catalog, signup_id: str, *,
                  email: str | None = None, subdomain: str | None = None,
                  template: str | None = None) -> list[str]:
    """Apply the repair's decisions and queue the run again; return what changed. No commit.

    Raises ``Refused`` when the run is finished, still running with changes asked, or a
    decision is not valid (nothing is changed then)."""
    # Rows read to be changed are read afresh (FOR UPDATE), whatever the session held.
    run = session.scalar(select(ProvisioningRun).where(ProvisioningRun.signup_id == signup_id)
                         .with_for_update().execution_options(populate_existing=True))
    if run is None:
        raise Refused(f"no provisioning run for signup {signup_id}")
    if run.status == RunStatus.SUCCEEDED:
        raise Refused(f"the run of signup {signup_id} has already succeeded")
    wants_changes = any(value is not None for value in (email, subdomain, template))
    if run.status == RunStatus.RUNNING and wants_changes:
        raise Refused(f"the run of signup {signup_id} is running; change it once it failed")
    signup = session.get(Signup, signup_id, with_for_update=True, populate_existing=True)
    tenant = session.scalar(select(Tenant).where(Tenant.signup_id == signup_id).with_for_update()
                            .execution_options(populate_existing=True))
    done, changes = _done(session, run), []
    if email is not None:
        changes.append(_new_email(session, signup, tenant, done, email))
    if subdomain is not None:
        changes.append(_new_subdomain(session, signup, tenant, done, subdomain))
    if template is not None:
        changes.append(_new_template(catalog, signup, tenant, done, template))
    # A fresh budget of attempts; the failed step and its reason stay in the run's steps.
    run.status, run.finished_at, run.error, run.attempts = RunStatus.QUEUED, None, None, 0
    session.flush()
    return changes
