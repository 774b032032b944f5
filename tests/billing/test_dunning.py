"""Failed payments over whole timelines: warned, grace, suspended, paid, restored; cancelled,
closed, deleted after retention; resubscribed. Each with duplicate and reordered events."""

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from db.base import utcnow
from db.models import MailLog, Page, TenantEvent
from tenants.api_keys import create_key

from support import BILLING_NL, csrf_token, fake_stripe
from timeline import sign_in_owner

CARD_OK = "4242424242424242"


@pytest.mark.parametrize("delivery", ["once", "duplicated", "reversed"])
def test_fail_grace_suspend_pay_reactivate(timeline, client, db_session, delivery):
    from worker.jobs.lifecycle import expire_grace

    t = timeline()
    options = {"duplicate": delivery == "duplicated", "reverse": delivery == "reversed"}
    t.fail_renewal()
    t.sync(**options)
    assert t.tenant.billing_state == "past_due"
    assert t.tenant.grace_until - utcnow() > timedelta(days=6, hours=23)  # Starter: 7 days
    assert t.mails("dunning") == 1
    assert t.site_status() == 200  # still online during grace
    dunning = db_session.scalar(select(MailLog).where(MailLog.tenant_id == t.tenant.id,
                                                      MailLog.kind == "dunning"))
    # 29 euros and 21% btw (the address of timeline's customer is Dutch).
    assert dunning.params["amount_due_cents"] == 3509 and dunning.params["hosted_invoice_url"]

    sign_in_owner(client, t)
    assert "Your last payment failed" in client.get("/portal/").get_data(as_text=True)

    assert t.run(expire_grace) == 0  # not yet
    with freeze_time(utcnow() + timedelta(days=8)):
        assert t.run(expire_grace) == 1
        assert t.run(expire_grace) == 0  # idempotent
    assert t.tenant.billing_state == "suspended" and t.mails("suspended") == 1
    suspended_page = client.get("/", headers=t.host)
    assert suspended_page.status_code == 503
    assert "temporarily unavailable" in suspended_page.get_data(as_text=True)
    assert t.tenant.company not in suspended_page.get_data(as_text=True)
    with client.get("/static/site.css", headers=t.host) as stylesheet:  # the page is styled
        assert stylesheet.status_code == 200 and stylesheet.mimetype == "text/css"

    t.pay()
    t.sync(**options)
    assert t.tenant.billing_state == "active" and t.site_status() == 200
    assert t.mails("reactivated") == 1
    assert (t.mails("dunning"), t.mails("suspended")) == (1, 1)
    kinds = db_session.scalars(select(TenantEvent.kind).where(TenantEvent.tenant_id == t.tenant.id)
                               .order_by(TenantEvent.id)).all()
    assert kinds == ["past_due", "suspended", "reactivated"]


def test_fail_then_pay_within_grace(timeline):
    t = timeline()
    t.fail_renewal()
    t.sync()
    t.pay()
    t.sync(reverse=True)
    assert t.tenant.billing_state == "active" and t.tenant.grace_until is None
    assert (t.mails("dunning"), t.mails("suspended"), t.mails("reactivated")) == (1, 0, 0)


def test_repeated_failures_send_one_reminder_each_then_unpaid_suspends(timeline):
    t = timeline()
    t.fail_renewal()
    t.sync()
    deadline = t.tenant.grace_until
    for days in (3, 5):  # Stripe's smart retries
        t.advance(days)
        t.sync(duplicate=True)
    assert t.mails("dunning") == 3
    assert t.tenant.grace_until == deadline  # retries do not extend the grace period
    t.advance(7)  # the last retry fails: the subscription becomes unpaid
    t.sync()
    assert t.tenant.billing_state == "suspended"
    assert t.mails("dunning") == 4 and t.mails("suspended") == 1


def test_payment_and_suspension_job_in_either_order_leave_a_payer_active(timeline):
    from worker.jobs.lifecycle import expire_grace

    first, second = timeline(), timeline()
    for t in (first, second):
        t.fail_renewal()
        t.sync()
    later = utcnow() + timedelta(days=8)
    # first: the payment is processed before the suspension job looks at it
    first.pay()
    first.sync()
    with freeze_time(later):
        first.run(expire_grace)
    assert first.tenant.billing_state == "active"
    # second: the job suspends first, then the payment arrives
    with freeze_time(later):
        second.run(expire_grace)
    assert second.tenant.billing_state == "suspended"
    second.pay()
    second.sync()
    assert second.tenant.billing_state == "active"


def test_suspended_portal_is_read_only_but_billing_works(timeline, client, db_session, stripe_fake):
    from worker.jobs.lifecycle import expire_grace

    t = timeline()
    _row, key = create_key(db_session, t.tenant.id, "site sync")
    db_session.commit()
    t.fail_renewal()
    t.sync()
    with freeze_time(utcnow() + timedelta(days=8)):
        t.run(expire_grace)
    sign_in_owner(client, t)
    assert "Your account is suspended" in client.get("/portal/").get_data(as_text=True)
    refused = client.post("/portal/billing/portal",
                          data={"csrf_token": csrf_token(client, "/portal/billing")})
    assert refused.status_code == 303
    assert refused.headers["Location"].startswith(stripe_fake.url + "/billing_portal/")
    api = client.get("/api/v1/pages", headers={"Authorization": f"Bearer {key}"})
    assert api.status_code == 403 and "suspended" in api.json["error"]["message"]


def test_cancel_at_period_end_then_closed_then_deleted_after_retention(timeline, client, db_session,
                                                                        app):
    from worker.jobs.lifecycle import enforce_retention

    t = timeline()
    subscription = t.tenant.stripe_subscription_id
    fake_stripe(t.fake, "POST", f"/v1/subscriptions/{subscription}", cancel_at_period_end="true")
    t.sync()
    assert t.tenant.billing_state == "active" and t.site_status() == 200
    sign_in_owner(client, t)
    assert re.search(r"ends on \d+ \w+ \d{4}", client.get("/portal/billing").get_data(as_text=True))

    t.to_period_end()
    t.sync(duplicate=True)
    assert t.tenant.billing_state == "closed"
    closed = client.get("/", headers=t.host)
    assert closed.status_code == 410 and t.tenant.company not in closed.get_data(as_text=True)
    export = client.get("/portal/export")
    assert export.status_code == 200 and export.mimetype == "application/zip"
    assert b"pages.json" in export.data

    closed_at = t.tenant.closed_at
    with freeze_time(closed_at + timedelta(days=24)):
        assert t.run(enforce_retention) == 0
        t.run(enforce_retention)
    assert t.mails("closing_reminder") == 1
    assert db_session.scalar(select(func.count()).select_from(Page)
                             .where(Page.tenant_id == t.tenant.id)) > 0
    with freeze_time(closed_at + timedelta(days=31)):
        assert t.run(enforce_retention) == 1
    assert t.tenant.billing_state == "deleted" and t.mails("closing_reminder") == 1
    assert db_session.scalar(select(func.count()).select_from(Page)
                             .where(Page.tenant_id == t.tenant.id)) == 0
    assert client.get("/", headers=t.host).status_code == 404


def test_resubscribe_within_retention_restores_everything(timeline, client, db_session):
    t = timeline()
    pages_before = db_session.scalar(select(func.count()).select_from(Page)
                                     .where(Page.tenant_id == t.tenant.id))
    fake_stripe(t.fake, "DELETE", f"/v1/subscriptions/{t.tenant.stripe_subscription_id}")
    t.sync()
    assert t.tenant.billing_state == "closed"
    sign_in_owner(client, t)
    response = client.post("/portal/billing/resubscribe",
                           data={"csrf_token": csrf_token(client, "/portal/billing")})
    assert response.status_code == 303
    session_id = response.headers["Location"].rsplit("/", 1)[1]
    fake_stripe(t.fake, "POST", f"/_test/checkout/sessions/{session_id}/pay", card=CARD_OK,
                **BILLING_NL)
    t.sync(reverse=True)
    assert t.tenant.billing_state == "active" and t.site_status() == 200
    assert db_session.scalar(select(func.count()).select_from(Page)
                             .where(Page.tenant_id == t.tenant.id)) == pages_before
    assert t.mails("reactivated") == 1


def test_staff_suspend_and_reactivate_with_a_reason(timeline, app, db_session):
    t = timeline()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tenants", "suspend", t.tenant.subdomain,
                                 "--reason", "chargeback under review", "--actor", "ida"])
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    assert t.tenant.billing_state == "suspended" and t.site_status() == 503
    event = db_session.scalar(select(TenantEvent).where(TenantEvent.tenant_id == t.tenant.id,
                                                        TenantEvent.kind == "suspended"))
    assert event.actor == "ida" and "chargeback under review" in event.detail
    result = runner.invoke(args=["tenants", "reactivate", t.tenant.subdomain, "--reason", "resolved"])
    assert result.exit_code == 0, result.output
    db_session.expire_all()
    assert t.tenant.billing_state == "active" and t.site_status() == 200
