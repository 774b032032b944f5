"""What the onboarding page shows: a signup's progress from payment to a live site."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.messages import N_
from db.models import Invoice, ProvisioningRun, Signup
from db.models.provisioning import RunStatus, StepOutcome
from db.models.signups import SignupStatus

# (key, label, the provisioning steps that must be done)
STAGES = [
    ("payment", N_("Payment confirmed"), ()),
    ("site", N_("Creating your site"),
     ("create_tenant", "claim_subdomain", "seed_site", "apply_settings", "external_providers")),
    ("account", N_("Creating your account"), ("create_owner",)),
    ("mail", N_("Sending your welcome mail"), ("welcome_mail",)),
    ("ready", N_("Ready"), ("activate",)),
]


@dataclass
class Progress:
    stages: list[dict]
    ready: bool
    state: str  # waiting, processing, provisioning, ready, failed_payment, expired, failed
    message: str

    @property
    def final(self) -> bool:
        """Nothing more will change on its own: the page stops asking."""
        return self.state in FINAL_STATES

    def as_dict(self) -> dict:
        return {"stages": self.stages, "ready": self.ready, "state": self.state,
                "final": self.final, "message": self.message}


# A failed payment can be retried and a failed setup is finished by the team: not final.
FINAL_STATES = ("ready", "expired")


def _payment_failed(session: Session, signup: Signup) -> bool:
    if not signup.stripe_customer_id:
        return False
    return session.scalar(select(Invoice.id).where(
        Invoice.customer_id == signup.stripe_customer_id, Invoice.status == "open",
        Invoice.attempt_count > 0)) is not None


def progress(session: Session, signup: Signup) -> Progress:
    run = session.scalar(select(ProvisioningRun).where(ProvisioningRun.signup_id == signup.id))
    done = {step.name for step in run.steps if step.outcome == StepOutcome.DONE} if run else set()
    paid = signup.status in (SignupStatus.PAID, SignupStatus.READY)
    stages, current_found = [], False
    for key, label, needs in STAGES:
        complete = paid and (set(needs) <= done) and (key != "ready" or signup.status == SignupStatus.READY)
        status = "done" if complete else ("current" if not current_found else "todo")
        current_found = current_found or not complete
        stages.append({"key": key, "label": label, "status": status})
    ready = signup.status == SignupStatus.READY
    if ready:
        return Progress(stages, True, "ready", N_("Your site is live."))
    if signup.status == SignupStatus.EXPIRED and signup.payment_pending_since:
        return Progress(stages, False, "expired",
                        N_("Your bank did not complete the payment, so nothing was charged and "
                           "your site was not set up. You are welcome to sign up again."))
    if signup.status == SignupStatus.EXPIRED:
        return Progress(stages, False, "expired",
                        N_("Your checkout ended before payment: it was cancelled or not "
                           "finished within the hour. Nothing was charged."))
    if not paid and signup.payment_pending_since:
        return Progress(stages, False, "processing",
                        N_("Your payment is being processed by your bank. A SEPA Direct Debit "
                           "can take a few working days: your site is set up the moment the "
                           "payment is confirmed, and we email you then. You can close this "
                           "page."))
    if not paid and _payment_failed(session, signup):
        return Progress(stages, False, "failed_payment",
                        N_("Your payment did not go through. Nothing was charged; please try "
                           "again."))
    if run is not None and run.status == RunStatus.FAILED:
        return Progress(stages, False, "failed",
                        N_("Setting up your site hit a problem. Our team has been told and "
                           "will finish it for you; you will get an email."))
    if not paid:
        return Progress(stages, False, "waiting", N_("Waiting for the payment confirmation..."))
    return Progress(stages, False, "provisioning", N_("Setting up your site..."))
