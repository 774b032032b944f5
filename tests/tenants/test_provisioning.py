"""invoice.paid -> a live tenant, its owner, seeded content and exactly one welcome mail."""

import re
import threading

import pytest
from freezegun import freeze_time
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from db.models import LoginToken, MailLog, Page, ProvisioningRun, Signup, Tenant, User
from tenants import provisioning
from tenants.providers import ProviderError
from tenants.site_content import load_site_template
from worker.jobs.provisioning import provisioning_services
from worker.queues import PROVISIONING
from worker.services import services

import factories
from support import csrf_token, invoice, post_event, queued_job_ids, run_jobs, stripe_event


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def pay(client, signup):
    event = stripe_event("invoice.paid", invoice(signup.stripe_customer_id, "sub_x",
                                                 signup_id=signup.id))
    assert post_event(client, event).status_code == 200
    return event


def test_invoice_paid_makes_a_live_site_and_one_mail(app, client, db_session, mails):
    signup = factories.signup(db_session, company="Bakery Blum")
    db_session.commit()
    pay(client, signup)
    run_jobs(app)

    tenant = db_session.scalar(select(Tenant).where(Tenant.signup_id == signup.id))
    assert tenant.provisioning_state == "active" and tenant.plan_id == "starter"
    owner = db_session.scalar(select(User).where(User.tenant_id == tenant.id))
    assert owner.role == "owner" and owner.password_hash == signup.password_hash
    assert count(db_session, Page, Page.tenant_id == tenant.id) == len(
        load_site_template("corporate").pages)
    run = db_session.scalar(select(ProvisioningRun).where(ProvisioningRun.signup_id == signup.id))
    assert run.status == "succeeded"
    assert [step.outcome for step in run.steps] == ["done"] * len(provisioning.STEPS)

    accepted = mails.emails
    assert len(accepted) == 1
    body = accepted[0]["body"]
    assert body["to"] == [signup.email] and "Bakery Blum" in body["subject"] + body["text"]
    assert accepted[0]["idempotency_key"] == f"welcome-{tenant.id}"
    assert re.search(r"http://localhost/signin/[0-9a-f]{64}", body["text"])
    assert "correct horse" not in body["text"] + body["html"]  # no password travels by mail

    site = client.get("/", headers={"Host": f"{signup.subdomain}.example.test"})
    assert site.status_code == 200 and "Bakery Blum" in site.get_data(as_text=True)


def test_unknown_subdomain_is_404(client):
    assert client.get("/", headers={"Host": "nobody-here.example.test"}).status_code == 404


def test_five_deliveries_and_replays_provision_once(app, client, db_session, mails):
    signup = factories.signup(db_session)
    db_session.commit()
    event = pay(client, signup)
    for _ in range(4):
        post_event(client, event)
    # Stripe also sends a second, distinct invoice.paid-like event for the same invoice.
    pay(client, signup)
    run_jobs(app, ["billing"])
    assert len(queued_job_ids(app, PROVISIONING)) == 1
    run_jobs(app)
    assert count(db_session, Tenant, Tenant.signup_id == signup.id) == 1
    assert count(db_session, ProvisioningRun, ProvisioningRun.signup_id == signup.id) == 1
    assert len(mails.emails) == 1


class Crash(Exception):
    pass


@pytest.mark.parametrize("crash_before", range(1, len(provisioning.STEPS)))
def test_crash_after_each_step_then_rerun(app, db_session, mails, monkeypatch, crash_before):
    signup = factories.signup(db_session, plan="professional", template="ecommerce")
    db_session.commit()
    name, real = provisioning.STEPS[crash_before]

    def crash(ctx):
        raise Crash(f"killed before {name}")

    steps = list(provisioning.STEPS)
    steps[crash_before] = (name, crash)
    monkeypatch.setattr(provisioning, "STEPS", steps)
    with app.app_context():
        with pytest.raises(Crash):
            provisioning.run_provisioning(db_session, provisioning_services(), signup.id, final_attempt=False)
        run = db_session.scalar(select(ProvisioningRun).where(ProvisioningRun.signup_id == signup.id))
        assert run.status == "queued" and f"killed before {name}" in run.error
        monkeypatch.setattr(provisioning, "STEPS", [*steps[:crash_before], (name, real),
                                                    *steps[crash_before + 1:]])
        provisioning.run_provisioning(db_session, provisioning_services(), signup.id)

    tenant = db_session.scalar(select(Tenant).where(Tenant.signup_id == signup.id))
    assert tenant.provisioning_state == "active"
    assert count(db_session, User, User.tenant_id == tenant.id) == 1
    content = load_site_template("ecommerce")
    assert count(db_session, Page, Page.tenant_id == tenant.id) == len(content.pages)
    assert len(mails.emails) == 1
    assert db_session.scalar(select(ProvisioningRun.status)
                             .where(ProvisioningRun.signup_id == signup.id)) == "succeeded"


def test_last_retry_fails_visibly_and_tenant_stays_hidden(app, client, db_session, mails,
                                                          monkeypatch):
    signup = factories.signup(db_session)
    db_session.commit()
    index = provisioning.STEP_NAMES.index("external_providers")

    def provider_down(ctx):
        raise ProviderError("dns: HTTP 503")  # transient: retried until the last attempt

    steps = list(provisioning.STEPS)
    steps[index] = ("external_providers", provider_down)
    monkeypatch.setattr(provisioning, "STEPS", steps)
    pay(client, signup)
    run_jobs(app)
    run = db_session.scalar(select(ProvisioningRun).where(ProvisioningRun.signup_id == signup.id))
    assert run.status == "failed" and "dns: HTTP 503" in run.error
    assert run.attempts == 4  # the first try and three retries
    failed_step = [s for s in run.steps if s.name == "external_providers"][0]
    assert failed_step.outcome == "failed"
    site = client.get("/", headers={"Host": f"{signup.subdomain}.example.test"})
    assert site.status_code == 404
    assert mails.emails == []


def test_resend_failing_twice_then_accepting_gives_one_mail(app, client, db_session, mails):
    mails.state.fail_next(500, count=2)
    signup = factories.signup(db_session)
    db_session.commit()
    pay(client, signup)
    run_jobs(app)
    assert len(mails.emails) == 1
    log = db_session.scalar(select(MailLog).where(MailLog.kind == "welcome",
                                                  MailLog.to_address == signup.email))
    assert log.status == "sent" and log.accepted_at is not None


def test_resend_rejecting_the_mail_fails_visibly(app, client, db_session, mails):
    mails.state.fail_next(422, count=10)
    signup = factories.signup(db_session)
    db_session.commit()
    pay(client, signup)
    run_jobs(app)
    run = db_session.scalar(select(ProvisioningRun).where(ProvisioningRun.signup_id == signup.id))
    assert run.status == "failed" and "Resend answered 422" in run.error
    assert not db_session.scalar(select(MailLog.id).where(MailLog.to_address == signup.email,
                                                          MailLog.status == "sent"))


@pytest.mark.parametrize("plan,template", [
    ("starter", "corporate"), ("starter", "portfolio"), ("starter", "blog"),
    ("professional", "ecommerce"), ("enterprise", "b2b"),
])
def test_each_template_seeds_and_renders(app, client, db_session, mails, plan, template):
    signup = factories.signup(db_session, plan=plan, template=template, company="Nordlicht")
    db_session.commit()
    with app.app_context():
        provisioning.run_provisioning(db_session, provisioning_services(), signup.id)
    host = {"Host": f"{signup.subdomain}.example.test"}
    content = load_site_template(template)
    for page in content.pages:
        path = "/" if page.slug == "home" else f"/{page.slug}"
        response = client.get(path, headers=host)
        assert response.status_code == 200, path
        assert "Nordlicht" in response.get_data(as_text=True)
    if content.products:
        shop = client.get("/shop", headers=host).get_data(as_text=True)
        assert content.products[0].name in shop


def _welcome_token(mails) -> str:
    return re.search(r"/signin/([0-9a-f]{64})", mails.emails[0]["body"]["text"]).group(1)


def test_signin_link_works_once(app, client, db_session, mails):
    signup = factories.signup(db_session)
    db_session.commit()
    with app.app_context():
        provisioning.run_provisioning(db_session, provisioning_services(), signup.id)
    token = _welcome_token(mails)
    assert client.get(f"/signin/{token}").status_code == 200  # a mail scanner's GET uses nothing
    first = client.post(f"/signin/{token}", data={"csrf_token": csrf_token(client, f"/signin/{token}")})
    assert first.status_code == 302 and first.headers["Location"] == "/portal/"
    assert signup.company in client.get("/portal/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    second = client.post(f"/signin/{token}", follow_redirects=True,
                         data={"csrf_token": csrf_token(client, f"/signin/{token}")})
    assert "already used" in second.get_data(as_text=True)
    assert client.get("/portal/").status_code == 302


def test_a_password_sign_in_ends_the_welcome_link(app, client, db_session, mails):
    signup = factories.signup(db_session)
    db_session.commit()
    with app.app_context():
        provisioning.run_provisioning(db_session, provisioning_services(), signup.id)
    token = _welcome_token(mails)
    signed_in = client.post("/login", data={"email": signup.email, "password": factories.PASSWORD,
                                            "csrf_token": csrf_token(client, "/login")})
    assert signed_in.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/")})
    response = client.post(f"/signin/{token}", follow_redirects=True,
                           data={"csrf_token": csrf_token(client, f"/signin/{token}")})
    assert "already used" in response.get_data(as_text=True)
    assert client.get("/portal/").status_code == 302


def test_signin_link_expires_after_seven_days(app, client, db_session, mails):
    signup = factories.signup(db_session)
    db_session.commit()
    with app.app_context():
        provisioning.run_provisioning(db_session, provisioning_services(), signup.id)
    token = _welcome_token(mails)
    stored = db_session.scalar(select(LoginToken).where(LoginToken.purpose == "welcome")
                               .order_by(LoginToken.id.desc()))
    assert token not in stored.token_hash  # only the hash is kept
    with freeze_time(stored.expires_at.replace(tzinfo=None)):
        response = client.post(f"/signin/{token}", follow_redirects=True,
                               data={"csrf_token": csrf_token(client, f"/signin/{token}")})
    assert "expired" in response.get_data(as_text=True)


def test_two_workers_on_one_signup_give_one_tenant(app, mails):
    """Real concurrency: two sessions on two connections, committed for real."""
    engine = services(app).database.engine
    with Session(engine) as session:
        signup = factories.signup(session)
        session.commit()
        signup_id, email = signup.id, signup.email
    barrier, errors = threading.Barrier(2), []

    def worker():
        with app.app_context(), Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                provisioning.run_provisioning(session, provisioning_services(), signup_id)
            except Exception as exc:  # noqa: BLE001 (collected and asserted below)
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        with app.app_context(), Session(engine) as session:
            provisioning.run_provisioning(session, provisioning_services(), signup_id)
        with Session(engine) as session:
            assert errors == []
            assert count(session, Tenant, Tenant.signup_id == signup_id) == 1
            assert count(session, User, User.email == email) == 1
            assert len(mails.emails) == 1
    finally:
        with Session(engine) as session:
            session.execute(delete(Tenant).where(Tenant.signup_id == signup_id))
            session.execute(delete(ProvisioningRun).where(ProvisioningRun.signup_id == signup_id))
            session.execute(delete(MailLog).where(MailLog.to_address == email))
            session.execute(delete(Signup).where(Signup.id == signup_id))
            session.commit()


def test_a_tenant_provisioned_after_its_subscription_lapsed_starts_suspended(app, client, db_session,
                                                                              mails):
    from db.models import Subscription

    signup = factories.signup(db_session)
    db_session.add(Subscription(id="sub_lapsed", customer_id=signup.stripe_customer_id,
                                signup_id=signup.id, status="unpaid", plan_id="starter",
                                interval="month"))
    db_session.commit()
    with app.app_context():
        provisioning.run_provisioning(db_session, provisioning_services(), signup.id)
    tenant = db_session.scalar(select(Tenant).where(Tenant.signup_id == signup.id))
    assert tenant.provisioning_state == "active" and tenant.billing_state == "suspended"
    assert client.get("/", headers={"Host": f"{signup.subdomain}.example.test"}).status_code == 503
