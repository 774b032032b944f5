"""Plan changes and cancellation in the portal, on the local Stripe: the previewed amount is
the charged one, a downgrade waits for the period's end and then makes the excess read-only,
a cancellation keeps its reason and offers the retention discount once, promotion codes
work when subscribing again."""

import re

from sqlalchemy import select

from db.models import Invoice, Product, Subscription, TenantEvent
from plans.entitlements import over_limit_ids
from worker.services import services

from support import BILLING_NL, csrf_token, fake_stripe
from timeline import CARD_OK, sign_in_owner


def words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def preview_page(client, lookup_key):
    return client.get(f"/portal/billing/plan?price={lookup_key}")


def confirm(client, lookup_key, **extra):
    page = preview_page(client, lookup_key).get_data(as_text=True)
    proration_date = re.search(r'name="proration_date" value="(\d+)"', page).group(1)
    return client.post("/portal/billing/plan", data={
        "price": lookup_key, "proration_date": proration_date,
        "csrf_token": csrf_token(client, f"/portal/billing/plan?price={lookup_key}"), **extra})


def test_an_upgrade_charges_exactly_the_previewed_amount_and_applies_at_once(timeline, client,
                                                                            db_session):
    t = timeline()
    sign_in_owner(client, t)
    assert client.get("/portal/products").status_code == 403  # no webshop on Starter
    shown = words(preview_page(client, "professional_monthly"))
    due = re.search(r"Due now: €([\d.,]+)", shown).group(1)
    assert "Then €95.59 on" in shown  # 79 + 21% btw, at the next renewal

    response = confirm(client, "professional_monthly")
    assert response.status_code == 303
    t.sync()  # Stripe's events carry the change to the tenant
    assert (t.tenant.plan_id, t.tenant.interval) == ("professional", "month")
    assert client.get("/portal/products").status_code == 200  # the webshop opens
    charged = db_session.scalar(select(Invoice).where(
        Invoice.customer_id == t.customer, Invoice.billing_reason == "subscription_update"))
    assert charged.status == "paid" and charged.total == round(float(due.replace(",", "")) * 100)
    assert charged.tax > 0  # the proration is taxed like every invoice
    assert db_session.scalar(select(TenantEvent.detail).where(
        TenantEvent.tenant_id == t.tenant.id, TenantEvent.kind == "plan_changed")) == \
        "starter/month -> professional/month"


def test_a_change_to_the_current_plan_or_an_unknown_one_changes_nothing(timeline, client,
                                                                       db_session, stripe_fake):
    t = timeline()
    sign_in_owner(client, t)
    same = client.get("/portal/billing/plan?price=starter_monthly", follow_redirects=True)
    assert "This is already your plan." in words(same)
    unknown = client.get("/portal/billing/plan?price=platinum", follow_redirects=True)
    assert "There is no such plan." in words(unknown)
    posted = client.post("/portal/billing/plan", data={
        "price": "starter_monthly", "csrf_token": csrf_token(client, "/portal/billing/plan")},
        follow_redirects=True)
    assert "This is already your plan." in words(posted)
    db_session.expire_all()
    assert t.tenant.plan_id == "starter"
    invoices = fake_stripe(stripe_fake, "GET", f"/v1/invoices?customer={t.customer}")["data"]
    assert len(invoices) == 1


def test_a_downgrade_waits_for_the_period_end_then_the_excess_is_read_only(timeline, client,
                                                                         db_session):
    t = timeline(plan="professional")
    db_session.add_all([Product(tenant_id=t.tenant.id, slug=f"mug-{n}", name=f"Mug {n}",
                                price_cents=900) for n in range(3)])
    db_session.commit()
    sign_in_owner(client, t)
    shown = words(preview_page(client, "starter_monthly"))
    assert "Due now: nothing." in shown and "€35.09" in shown
    assert "Webshop" in shown and "Custom domain" in shown and "Products: 3 over the new limit" in shown

    unconfirmed = confirm(client, "starter_monthly")
    assert unconfirmed.status_code == 303
    t.sync()
    assert t.tenant.scheduled_plan_id is None  # not confirmed: nothing scheduled
    subscription = fake_stripe(t.fake, "GET", f"/v1/subscriptions/{t.tenant.stripe_subscription_id}")
    assert subscription["schedule"] is None

    assert confirm(client, "starter_monthly", confirm="yes").status_code == 303
    t.sync()
    assert t.tenant.plan_id == "professional" and t.tenant.scheduled_plan_id == "starter"
    assert "Your plan changes to Starter on" in words(client.get("/portal/billing"))

    t.to_period_end()
    t.sync()
    assert (t.tenant.plan_id, t.tenant.scheduled_plan_id) == ("starter", None)
    renewal = db_session.scalar(select(Invoice).where(
        Invoice.customer_id == t.customer, Invoice.billing_reason == "subscription_cycle"))
    assert renewal.total == 3509
    catalog = services(t.app).catalog
    products = db_session.scalars(select(Product.id).where(Product.tenant_id == t.tenant.id)).all()
    assert over_limit_ids(db_session, catalog, t.tenant, "products") == set(products)


def test_cancellation_with_a_reason_and_the_retention_offer_once(timeline, client, db_session,
                                                                  stripe_fake):
    t = timeline()
    sign_in_owner(client, t)
    page = words(client.get("/portal/billing/cancel"))
    assert "Your data is kept for 30 days after the site goes offline" in page
    form = {"subscription": t.tenant.stripe_subscription_id, "feedback": "too_expensive",
            "comment": "Fine product, small budget",
            "csrf_token": csrf_token(client, "/portal/billing/cancel")}
    offered = client.post("/portal/billing/cancel", data=form)
    assert offered.status_code == 200
    assert "Stay and get 50% off for the next 3 months." in words(offered)
    accepted = client.post("/portal/billing/cancel/offer", data={
        "subscription": t.tenant.stripe_subscription_id, "csrf_token": form["csrf_token"]})
    assert accepted.status_code == 303
    t.sync()
    assert t.tenant.retention_offer_used_at is not None
    mirror = db_session.get(Subscription, t.tenant.stripe_subscription_id)
    assert mirror.discount_coupon == "stay50" and not mirror.cancel_at_period_end
    assert "Discount: 50% off for 3 months." in words(client.get("/portal/billing"))

    # The next time, no offer: the cancellation is final, with the reason at Stripe.
    cancelled = client.post("/portal/billing/cancel", data=form)
    assert cancelled.status_code == 303
    t.sync()
    mirror = db_session.get(Subscription, t.tenant.stripe_subscription_id)
    assert mirror.cancel_at_period_end and mirror.cancellation_feedback == "too_expensive"
    assert mirror.cancellation_comment == "Fine product, small budget"
    at_stripe = fake_stripe(stripe_fake, "GET", f"/v1/subscriptions/{mirror.id}")
    assert at_stripe["cancellation_details"]["feedback"] == "too_expensive"
    again = client.post("/portal/billing/cancel/offer", data={
        "subscription": mirror.id, "csrf_token": form["csrf_token"]}, follow_redirects=True)
    assert "This offer has already been used." in words(again)

    undone = client.post("/portal/billing/cancel/undo", data={
        "subscription": mirror.id, "csrf_token": form["csrf_token"]})
    assert undone.status_code == 303
    t.sync()
    assert not db_session.get(Subscription, mirror.id).cancel_at_period_end
    kinds = db_session.scalars(select(TenantEvent.kind).where(TenantEvent.tenant_id == t.tenant.id)
                               .order_by(TenantEvent.id)).all()
    assert kinds[-2:] == ["cancellation_scheduled", "cancellation_undone"]


def test_cancel_or_undo_of_another_subscription_is_404_and_an_ended_one_is_refused(
        timeline, client, db_session, stripe_fake):
    t = timeline()
    sign_in_owner(client, t)
    token = csrf_token(client, "/portal/billing/cancel")
    for path in ("/portal/billing/cancel", "/portal/billing/cancel/undo",
                 "/portal/billing/cancel/offer"):
        response = client.post(path, data={"subscription": "sub_someone_else",
                                           "feedback": "other", "csrf_token": token})
        assert response.status_code == 404
    assert client.post("/portal/billing/cancel", data={
        "subscription": t.tenant.stripe_subscription_id, "feedback": "no such reason",
        "csrf_token": token}, follow_redirects=True).status_code == 200
    assert not db_session.get(Subscription, t.tenant.stripe_subscription_id).cancel_at_period_end


def test_a_promotion_code_works_when_subscribing_again(timeline, client, db_session):
    t = timeline()
    fake_stripe(t.fake, "DELETE", f"/v1/subscriptions/{t.tenant.stripe_subscription_id}")
    t.sync()
    sign_in_owner(client, t)
    response = client.post("/portal/billing/resubscribe",
                           data={"csrf_token": csrf_token(client, "/portal/billing")})
    session_id = response.headers["Location"].rsplit("/", 1)[1]
    refused = fake_stripe(t.fake, "POST", f"/_test/checkout/sessions/{session_id}/pay",
                          card=CARD_OK, promotion_code="NOSUCHCODE", **BILLING_NL)
    assert "error" in refused
    fake_stripe(t.fake, "POST", f"/_test/checkout/sessions/{session_id}/pay", card=CARD_OK,
                promotion_code="WELKOM10", **BILLING_NL)
    t.sync()
    assert t.tenant.billing_state == "active"
    newest = db_session.scalar(select(Invoice).where(Invoice.customer_id == t.customer)
                               .order_by(Invoice.created.desc(), Invoice.total))
    assert newest.total_excluding_tax == 2610 and newest.total == 3158  # 10% off, then btw
