"""Paid, then never provisioned, must not happen quietly: every step that can fail for good
after the payment leaves the run failed at once (no retries burned) with its reason, listed
for staff first, and one command finishes it, exactly once (one tenant, one welcome mail)."""

import pytest
from sqlalchemy import delete, func, select, update

from db.models import ProvisioningRun, Signup, Subdomain, Tenant, User
from tenants import provisioning
from tenants.providers import ProviderError
from worker.services import services

import factories
from support import invoice, post_event, run_jobs, stripe_event


def pay(client, signup):
    event = stripe_event("invoice.paid", invoice(signup.stripe_customer_id, "sub_x",
                                                 signup_id=signup.id))
    assert post_event(client, event).status_code == 200


def run_of(db_session, signup) -> ProvisioningRun:
    db_session.expire_all()
    return db_session.scalar(select(ProvisioningRun).where(ProvisioningRun.signup_id == signup.id))


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def welcome_mails(mails, address: str) -> int:
    return sum(1 for mail in mails.emails if mail["body"]["to"] == [address]
               and (mail.get("idempotency_key") or "").startswith("welcome-"))


def assert_failed_and_listed(app, db_session, signup, step: str, reason: str):
    run = run_of(db_session, signup)
    assert run.status == "failed" and reason in run.error
    assert run.attempts == 1  # at once: the job had retries left and spent none
    assert {s.name: s.outcome for s in run.steps}[step] == "failed"
    failed = cli(app, "provisioning", "failed")
    line = next(line for line in failed.output.splitlines() if signup.id in line)
    assert f"failed at {step}" in line and reason in line
    listed = cli(app, "provisioning", "list").output.splitlines()
    assert signup.id in listed[0]  # failed runs come first
    assert db_session.scalar(select(Tenant.provisioning_state).where(Tenant.signup_id == signup.id)) in (
        None, "provisioning", "active")


def assert_finished_once(db_session, mails, signup, address: str):
    run = run_of(db_session, signup)
    assert run.status == "succeeded" and run.error is None
    tenants = db_session.scalars(select(Tenant).where(Tenant.signup_id == signup.id)).all()
    assert len(tenants) == 1 and tenants[0].provisioning_state == "active"
    owners = db_session.scalars(select(User).where(User.tenant_id == tenants[0].id)).all()
    assert [(u.email, u.role) for u in owners] == [(address, "owner")]
    assert welcome_mails(mails, address) == 1 and len(mails.emails) == 1
    return tenants[0]


@pytest.fixture
def older_success(app, db_session, mails):
    """A run that succeeded before the failing one: the staff list must still start with the
    failure."""
    factories.tenant(app, db_session, provision=True)
    mails.state.reset()


@pytest.mark.parametrize("step", provisioning.STEP_NAMES)
def test_a_permanent_failure_at_any_step_surfaces_and_one_retry_finishes_it(
        app, client, db_session, mails, monkeypatch, older_success, step):
    signup = factories.signup(db_session)
    db_session.commit()
    index = provisioning.STEP_NAMES.index(step)
    steps = list(provisioning.STEPS)

    def cannot(ctx):
        raise provisioning.ProvisioningError(f"{step} cannot succeed as things stand")

    steps[index] = (step, cannot)
    monkeypatch.setattr(provisioning, "STEPS", steps)
    pay(client, signup)
    run_jobs(app)
    assert_failed_and_listed(app, db_session, signup, step, f"{step} cannot succeed")
    assert mails.emails == []

    monkeypatch.undo()  # the cause is fixed
    result = cli(app, "provisioning", "retry", signup.id)
    assert result.exit_code == 0, result.output
    run_jobs(app)
    assert_finished_once(db_session, mails, signup, signup.email)
    # A second retry changes nothing: the run is finished.
    assert cli(app, "provisioning", "retry", signup.id).exit_code != 0
    run_jobs(app)
    assert len(mails.emails) == 1


# The real causes, each with the repair it needs


def test_owner_email_of_another_sites_team_member_is_repaired_with_email(
        app, client, db_session, mails, older_success):
    signup = factories.signup(db_session)
    other = factories.tenant(app, db_session, provision=True)
    mails.state.reset()
    member = factories.user(db_session, other)
    member.email = signup.email.upper()  # the same address, however it is written
    db_session.commit()
    pay(client, signup)
    run_jobs(app)
    assert_failed_and_listed(app, db_session, signup, "create_owner",
                             "already belongs to a user of another site")

    taken = cli(app, "provisioning", "retry", signup.id, "--email", member.email)
    assert taken.exit_code != 0 and "already belongs to a user" in taken.output
    result = cli(app, "provisioning", "retry", signup.id, "--email", "Owner.New@Example.com")
    assert result.exit_code == 0, result.output
    assert "email" in result.output and "owner.new@example.com" in result.output
    run_jobs(app)
    assert_finished_once(db_session, mails, signup, "owner.new@example.com")
    db_session.refresh(member)
    assert member.tenant_id == other.id  # the other site's member is untouched


def test_subdomain_held_by_another_signup_is_repaired_with_subdomain(app, client, db_session,
                                                                     mails, older_success):
    signup = factories.signup(db_session)
    squatter = factories.signup(db_session)
    # The name went to someone else meanwhile (the reservation had ended).
    db_session.execute(delete(Subdomain).where(Subdomain.signup_id.in_((signup.id, squatter.id))))
    db_session.add(Subdomain(name=signup.subdomain, signup_id=squatter.id))
    db_session.commit()
    pay(client, signup)
    run_jobs(app)
    assert_failed_and_listed(app, db_session, signup, "claim_subdomain",
                             "is held by another signup")

    assert cli(app, "provisioning", "retry", signup.id, "--subdomain", "admin").exit_code != 0
    assert cli(app, "provisioning", "retry", signup.id, "--subdomain",
               signup.subdomain).exit_code == 0  # same name, still held: fails again
    run_jobs(app)
    assert run_of(db_session, signup).status == "failed"
    name = f"fresh-{signup.id[:8]}"
    result = cli(app, "provisioning", "retry", signup.id, "--subdomain", name)
    assert result.exit_code == 0, result.output
    run_jobs(app)
    tenant = assert_finished_once(db_session, mails, signup, signup.email)
    assert tenant.subdomain == name
    assert client.get("/", headers={"Host": f"{name}.example.test"}).status_code == 200


def test_a_payment_after_the_reservation_ended_takes_the_free_name_back(app, client, db_session,
                                                                        mails):
    signup = factories.signup(db_session)
    signup.status = "expired"
    db_session.execute(delete(Subdomain).where(Subdomain.signup_id == signup.id))
    db_session.commit()
    pay(client, signup)  # a slow payment confirmed after the reservation ran out
    run_jobs(app)
    tenant = assert_finished_once(db_session, mails, signup, signup.email)
    assert tenant.subdomain == signup.subdomain
    assert db_session.get(Subdomain, signup.subdomain).signup_id == signup.id


def test_template_no_longer_in_the_plan_is_repaired_with_template(app, client, db_session, mails,
                                                                  older_success):
    signup = factories.signup(db_session)
    signup.template = "ecommerce"  # as if the catalog had moved it out of Starter since
    db_session.commit()
    pay(client, signup)
    run_jobs(app)
    assert_failed_and_listed(app, db_session, signup, "seed_site",
                             "template ecommerce is not part of the starter plan")

    refused = cli(app, "provisioning", "retry", signup.id, "--template", "b2b")
    assert refused.exit_code != 0 and "not part of the starter plan" in refused.output
    result = cli(app, "provisioning", "retry", signup.id, "--template", "portfolio")
    assert result.exit_code == 0, result.output
    run_jobs(app)
    tenant = assert_finished_once(db_session, mails, signup, signup.email)
    assert tenant.template == "portfolio"


class Refusing:
    name = "dns"

    def __init__(self):
        self.refuse = True

    def apply(self, site):
        if self.refuse:
            raise ProviderError("dns: 422 record name not allowed", transient=False)
        return "dns: ok"


def test_a_provider_refusing_fails_at_once_and_a_plain_retry_finishes(app, client, db_session,
                                                                      mails, monkeypatch,
                                                                      older_success):
    from worker.jobs import provisioning as jobs

    provider, real_services = Refusing(), jobs.provisioning_services

    def refusing_services():
        made = real_services()
        made.providers = [provider]
        return made

    monkeypatch.setattr(jobs, "provisioning_services", refusing_services)
    signup = factories.signup(db_session)
    db_session.commit()
    pay(client, signup)
    run_jobs(app)
    assert_failed_and_listed(app, db_session, signup, "external_providers",
                             "provider dns refused")
    provider.refuse = False  # fixed at the provider
    assert cli(app, "provisioning", "retry", signup.id).exit_code == 0
    run_jobs(app)
    assert_finished_once(db_session, mails, signup, signup.email)


def test_a_refused_welcome_mail_is_repaired_with_email(app, client, db_session, mails,
                                                       older_success):
    mails.state.fail_next(422, count=1)  # Resend: the address is not valid
    signup = factories.signup(db_session)
    db_session.commit()
    pay(client, signup)
    run_jobs(app)
    assert_failed_and_listed(app, db_session, signup, "welcome_mail", "was refused")
    result = cli(app, "provisioning", "retry", signup.id, "--email", "fixed@example.com")
    assert result.exit_code == 0, result.output
    run_jobs(app)
    assert_finished_once(db_session, mails, signup, "fixed@example.com")
    assert db_session.scalar(select(Signup.email).where(Signup.id == signup.id)) \
        == "fixed@example.com"


def test_a_plan_gone_from_the_catalog_fails_at_once_and_retry_finishes(app, client, db_session,
                                                                       mails, monkeypatch,
                                                                       older_success):
    catalog = services(app).catalog
    signup = factories.signup(db_session)
    signup.plan_id = "legacy"
    db_session.commit()
    pay(client, signup)
    run_jobs(app)
    assert_failed_and_listed(app, db_session, signup, "create_tenant",
                             "plan legacy is not in the catalog")
    monkeypatch.setitem(catalog.plans, "legacy", catalog.plan("starter"))  # restored
    assert cli(app, "provisioning", "retry", signup.id).exit_code == 0
    run_jobs(app)
    assert_finished_once(db_session, mails, signup, signup.email)


def test_retry_refuses_what_it_cannot_do_and_changes_nothing(app, client, db_session, mails):
    assert cli(app, "provisioning", "retry", "no-such-signup").exit_code != 0
    signup = factories.signup(db_session)
    db_session.commit()
    done = factories.tenant(app, db_session, provision=True)
    finished = db_session.scalar(select(Signup).where(Signup.id == done.signup_id))
    refused = cli(app, "provisioning", "retry", finished.id)
    assert refused.exit_code != 0 and "already succeeded" in refused.output

    pay(client, signup)
    db_session.execute(update(User).where(User.id == db_session.scalar(
        select(User.id).where(User.tenant_id == done.id))).values(email=signup.email))
    db_session.commit()
    run_jobs(app)
    assert run_of(db_session, signup).status == "failed"
    for args in (["--email", "not an address"], ["--subdomain", "a"],
                 ["--email", "ok@example.com", "--subdomain", "admin"]):
        result = cli(app, "provisioning", "retry", signup.id, *args)
        assert result.exit_code != 0, args
        assert result.output.startswith("Error: --"), result.output
    db_session.expire_all()
    assert db_session.get(Signup, signup.id).email == signup.email  # nothing half-changed
    assert run_of(db_session, signup).status == "failed"
    assert db_session.scalar(select(func.count()).select_from(Tenant)
                             .where(Tenant.signup_id == signup.id)) == 1


def test_a_passing_failure_is_retried_with_backoff_then_failed_after_the_bound(
        app, db_session, redis, monkeypatch):
    """A step failing for a passing reason, every time: each attempt (a job's retry or the
    sweep's) is counted on the run, the sweep waits a doubling time before trying again, and
    after MAX_ATTEMPTS the run is failed for staff and no sweep enqueues it again."""
    from datetime import timedelta

    from freezegun import freeze_time

    from db.base import utcnow
    from worker.jobs.provisioning import provisioning_services, sweep_stuck_runs
    from worker.queues import PROVISIONING

    signup = factories.signup(db_session)
    db_session.commit()
    index = provisioning.STEP_NAMES.index("external_providers")
    steps = list(provisioning.STEPS)

    def provider_down(ctx):
        raise ProviderError("dns: HTTP 503")  # transient

    steps[index] = ("external_providers", provider_down)
    monkeypatch.setattr(provisioning, "STEPS", steps)

    def sweep_at(when) -> int:
        redis.flushdb()
        with freeze_time(when), app.app_context():
            return sweep_stuck_runs()

    waits = []
    for attempt in range(1, provisioning.MAX_ATTEMPTS + 1):
        with app.app_context(), pytest.raises(ProviderError):
            # as a job with retries left runs it
            provisioning.run_provisioning(db_session, provisioning_services(), signup.id, final_attempt=False)
        run = run_of(db_session, signup)
        assert run.attempts == attempt
        if attempt == provisioning.MAX_ATTEMPTS:
            break
        assert run.status == "queued" and "dns: HTTP 503" in run.error
        wait = timedelta(seconds=min(30 * 2 ** (attempt - 1), 3600))
        waits.append(wait)
        assert sweep_at(run.heartbeat_at + wait - timedelta(seconds=5)) == 0
        assert sweep_at(run.heartbeat_at + wait + timedelta(seconds=1)) == 1
        assert services(app).queues[PROVISIONING].get_job_ids() == [f"provision-{signup.id}"]
    assert [w.total_seconds() for w in waits[:4]] == [30, 60, 120, 240]
    run = run_of(db_session, signup)
    assert run.status == "failed" and "dns: HTTP 503" in run.error
    assert sweep_at(utcnow() + timedelta(days=2)) == 0
    assert signup.id in cli(app, "provisioning", "failed").output
