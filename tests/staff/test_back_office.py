"""One tenant in the back office: everything about it on one page, the repairs (each with a
reason, each in the audit log, refused to roles without them), the list of what needs a human,
and "view as tenant", read-only."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from staff_support import failed_run, sign_out, signed_in_staff

from db.base import utcnow
from db.models import MailLog, StaffAuditEntry, Subscription, Tenant
from db.models.tenants import BillingState

import factories
from support import (
    EventForwarder,
    csrf_token,
    fake_stripe,
    run_jobs,
)
from timeline import Timeline


def post(client, url, page, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **data})


def audited(db_session, action, tenant_id=None):
    return db_session.scalars(select(StaffAuditEntry).where(
        StaffAuditEntry.action == action, StaffAuditEntry.tenant_id == tenant_id)
        .order_by(StaffAuditEntry.id)).all()


def test_the_tenant_page_shows_everything_about_it(app, client, db_session, mails, redis):
    tenant = factories.tenant(app, db_session, plan="professional", provision=True)
    signed_in_staff(client, db_session, "support")
    page = client.get(f"/admin/tenants/{tenant.id}").get_data(as_text=True)
    for shown in (tenant.company, tenant.subdomain, tenant.owner_email, "professional",
                  "Provisioning run", "welcome", "Usage", "Billing timeline"):
        assert shown in page, shown
    assert client.get("/admin/tenants/987654321").status_code == 404


def test_a_suspension_needs_a_reason_and_an_admin_and_is_audited(app, client, db_session,
                                                                 mails, redis):
    tenant = factories.tenant(app, db_session, plan="starter")
    url, page = f"/admin/tenants/{tenant.id}/suspend", f"/admin/tenants/{tenant.id}"
    signed_in_staff(client, db_session, "support")
    assert post(client, url, page, reason="abuse report").status_code == 403
    assert audited(db_session, "admin.suspend", tenant.id)[0].outcome == "refused"

    sign_out(client)
    admin_client = client
    signed_in_staff(admin_client, db_session, "admin")
    refused = post(admin_client, url, page, reason="  ")
    assert refused.status_code == 303
    db_session.expire_all()
    assert db_session.get(Tenant, tenant.id).billing_state == BillingState.ACTIVE
    assert "Say why" in admin_client.get(page).get_data(as_text=True)

    post(admin_client, url, page, reason="abuse report #12")
    db_session.expire_all()
    assert db_session.get(Tenant, tenant.id).billing_state == BillingState.SUSPENDED
    entry = audited(db_session, "suspend", tenant.id)[-1]
    assert (entry.outcome, entry.reason) == ("done", "abuse report #12")
    post(admin_client, f"/admin/tenants/{tenant.id}/reactivate", page, reason="resolved")
    db_session.expire_all()
    assert db_session.get(Tenant, tenant.id).billing_state == BillingState.ACTIVE
    assert post(admin_client, "/admin/tenants/987654321/suspend", page,
                reason="x").status_code == 404


def test_the_welcome_mail_is_sent_again_with_a_new_link(app, client, db_session, mails, redis):
    tenant = factories.tenant(app, db_session, plan="starter")
    signed_in_staff(client, db_session, "support")
    page = f"/admin/tenants/{tenant.id}"
    post(client, f"{page}/welcome", page, reason="lost the first one")
    run_jobs(app)
    again = db_session.scalars(select(MailLog).where(MailLog.kind == "welcome",
                                                     MailLog.tenant_id == tenant.id)).all()
    assert len(again) == 1 and again[0].status == "sent"
    assert [m["body"]["to"] for m in mails.emails] == [[tenant.owner_email]]


def test_a_failed_provisioning_run_is_listed_and_retried_from_the_back_office(
        app, client, db_session, mails, monkeypatch, redis):
    signup, _tenant = failed_run(app, client, db_session, monkeypatch)

    signed_in_staff(client, db_session, "support")
    listed = client.get("/admin/attention").get_data(as_text=True)
    assert signup.subdomain in listed and "the template store is down" in listed
    post(client, f"/admin/provisioning/{signup.id}/retry", "/admin/attention",
         reason="template store is back")
    run_jobs(app)
    db_session.expire_all()
    tenant = db_session.scalar(select(Tenant).where(Tenant.signup_id == signup.id))
    assert tenant.provisioning_state == "active"
    assert audited(db_session, "retry_provisioning", None)[-1].reason == "template store is back"


@pytest.mark.parametrize("path", ["/portal/", "/portal/pages", "/portal/billing"])
def test_view_as_tenant_shows_the_portal_read_only(app, client, db_session, mails, redis, path):
    tenant = factories.tenant(app, db_session, plan="professional")
    signed_in_staff(client, db_session, "support")
    page = f"/admin/tenants/{tenant.id}"
    opened = post(client, f"{page}/view", page)
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/portal/")
    shown = client.get(path)
    assert shown.status_code == 200
    assert "as staff" in shown.get_data(as_text=True) and tenant.company in shown.get_data(as_text=True)
    refused = client.post("/portal/pages/new", data={"csrf_token": csrf_token(client, "/portal/pages"),
                                                     "title": "Sneaky"})
    assert refused.status_code == 403
    assert len(audited(db_session, "view_as_tenant", tenant.id)) == 1
    post(client, "/admin/view/stop", "/admin/")
    assert client.get("/portal/").status_code == 302  # the staff member is no tenant user


def test_a_discount_and_a_deletion_go_through_stripe(app, client, db_session, stripe_fake,
                                                     mails, redis):
    forwarder = EventForwarder(stripe_fake)
    t = Timeline(app, client, db_session, stripe_fake, forwarder, f"del-{uuid.uuid4().hex[:6]}")
    signed_in_staff(client, db_session, "admin")
    page = f"/admin/tenants/{t.tenant.id}"
    post(client, f"{page}/discount", page, coupon="stay50", reason="retention call")
    t.sync()
    assert db_session.get(Subscription, t.tenant.stripe_subscription_id).discount_coupon == "stay50"
    assert post(client, f"{page}/discount", page, coupon="free-forever",
                reason="x").status_code == 303
    assert "Choose one of the catalog" in client.get(page).get_data(as_text=True)

    # Deleting needs the subdomain typed; then billing stops and the content goes.
    post(client, f"{page}/delete", page, confirmation="wrong", reason="asked to leave")
    db_session.expire_all()
    assert db_session.get(Tenant, t.tenant.id).billing_state == BillingState.ACTIVE
    post(client, f"{page}/delete", page, confirmation=t.subdomain, reason="asked to leave")
    t.sync()
    tenant = db_session.get(Tenant, t.tenant.id)
    assert tenant.billing_state == BillingState.DELETED
    assert fake_stripe(stripe_fake, "GET", f"/v1/subscriptions/{tenant.stripe_subscription_id}"
                       )["status"] == "canceled"
    assert [e.outcome for e in audited(db_session, "close_and_delete", tenant.id)] == [
        "refused", "done"]


def test_grace_is_extended_only_for_a_past_due_tenant(app, client, db_session, mails, redis):
    tenant = factories.tenant(app, db_session, plan="starter")
    signed_in_staff(client, db_session, "support")
    page = f"/admin/tenants/{tenant.id}"
    post(client, f"{page}/grace", page, days="7", reason="customer on holiday")
    assert "no grace to extend" in client.get(page).get_data(as_text=True)
    tenant.billing_state, tenant.grace_until = BillingState.PAST_DUE, utcnow()
    db_session.commit()
    post(client, f"{page}/grace", page, days="99", reason="x")
    post(client, f"{page}/grace", page, days="7", reason="customer on holiday")
    db_session.expire_all()
    assert db_session.get(Tenant, tenant.id).grace_until > utcnow() + timedelta(days=6)


def test_an_export_is_audited_with_its_reason(app, client, db_session, mails, redis):
    tenant = factories.tenant(app, db_session, plan="starter")
    signed_in_staff(client, db_session, "admin")
    page = f"/admin/tenants/{tenant.id}"
    archive = post(client, f"{page}/export", page, reason="customer asked for a copy")
    assert archive.mimetype == "application/zip" and archive.data[:2] == b"PK"
    assert audited(db_session, "export", tenant.id)[0].reason == "customer asked for a copy"


def test_a_flood_of_changes_is_stopped_and_audited_once(app, client, db_session, mails, redis,
                                                        monkeypatch):
    from web.admin import session as admin_session

    monkeypatch.setattr(admin_session, "_CHANGES", admin_session.RateLimitItemPerMinute(3))
    tenant = factories.tenant(app, db_session, plan="starter")
    signed_in_staff(client, db_session, "support")
    page = f"/admin/tenants/{tenant.id}"
    answers = [post(client, f"{page}/welcome", page, reason=f"try {n}").status_code
               for n in range(5)]
    assert answers[:3] == [303, 303, 303] and answers[3:] == [429, 429]
    limited = db_session.scalars(select(StaffAuditEntry).where(
        StaffAuditEntry.details["problem"].astext == "rate limited")).all()
    assert len(limited) == 1
