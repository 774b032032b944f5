"""Plan changes made in the local Stripe's billing portal apply at once; downgrades delete
nothing. Limits hold under concurrency."""

import re
import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Page, Product, Tenant
from plans.entitlements import LimitReached
from tenants.pages import create_page
from worker.services import services

import factories
from support import csrf_token, http, purge
from timeline import sign_in_owner


def change_plan_in_stripe_portal(client, fake, t, lookup_key):
    opened = client.post("/portal/billing/portal",
                         data={"csrf_token": csrf_token(client, "/portal/billing")})
    portal_url = opened.headers["Location"]
    prices = http.get(f"{fake.url}/v1/prices", params={"lookup_keys[]": [lookup_key]},
                      headers={"Authorization": "Bearer sk_test_suite"}).json()["data"]
    page = http.get(portal_url).text
    assert "Contyzr" in page
    done = http.post(f"{portal_url}/plan", data={"subscription": t.tenant.stripe_subscription_id,
                                                 "price": prices[0]["id"]})
    assert done.status_code in (200, 303)
    t.sync()


def test_upgrade_then_downgrade_through_the_billing_portal(timeline, client, db_session, stripe_fake):
    t = timeline("starter")
    sign_in_owner(client, t)
    refused = client.get("/portal/products")
    assert refused.status_code == 403 and "Professional" in refused.get_data(as_text=True)

    change_plan_in_stripe_portal(client, stripe_fake, t, "professional_monthly")
    assert t.tenant.plan_id == "professional"
    assert client.get("/portal/products").status_code == 200
    created = client.post("/portal/products/new", data={
        "name": "Blue mug", "price": "19.90", "stock": "5", "active": "y",
        "csrf_token": csrf_token(client, "/portal/products/new")})
    assert created.status_code == 303
    assert "Blue mug" in client.get("/shop", headers=t.host).get_data(as_text=True)

    change_plan_in_stripe_portal(client, stripe_fake, t, "starter_monthly")
    assert t.tenant.plan_id == "starter"
    assert client.get("/portal/products").status_code == 403
    assert client.get("/shop", headers=t.host).status_code == 404
    # Nothing deleted: the product is kept for when the webshop comes back.
    assert db_session.scalar(select(func.count()).select_from(Product).where(
        Product.tenant_id == t.tenant.id, Product.name == "Blue mug")) == 1
    dashboard = client.get("/portal/").get_data(as_text=True)
    assert re.search(r"Starter\s*·\s*monthly", dashboard)


def test_downgrade_keeps_pages_over_the_limit_editable_but_blocks_new_ones(
        app, db_session, client, sign_in, mails):
    tenant = factories.tenant(app, db_session, plan="professional", template="corporate")
    for n in range(12):
        db_session.add(Page(tenant_id=tenant.id, slug=f"extra-{n}", title=f"Extra {n}"))
    tenant.plan_id = "starter"  # as customer.subscription.updated leaves it
    db_session.commit()
    sign_in(tenant.owner_email)
    page = db_session.scalar(select(Page).where(Page.tenant_id == tenant.id, Page.slug == "extra-3"))
    assert client.get(f"/portal/pages/{page.id}").status_code == 200
    refused = client.post("/portal/pages/new", data={
        "title": "One more", "slug": "one-more", "csrf_token": csrf_token(client, "/portal/pages/new")},
        follow_redirects=True)
    assert "limit of 10 pages" in refused.get_data(as_text=True)


def test_one_page_left_two_simultaneous_creations_give_one_page(app, mails):
    engine = services(app).database.engine
    catalog = services(app).catalog
    with Session(engine, expire_on_commit=False) as session:
        tenant = factories.tenant(app, session, plan="starter", template="corporate")
        existing = session.scalar(select(func.count()).select_from(Page)
                                  .where(Page.tenant_id == tenant.id))
        for n in range(catalog.plan("starter").limit("pages") - existing - 1):
            session.add(Page(tenant_id=tenant.id, slug=f"fill-{n}", title=f"Fill {n}"))
        session.commit()
    barrier, outcomes = threading.Barrier(2), []

    def create(n):
        with Session(engine) as session:
            row = session.get(Tenant, tenant.id)
            barrier.wait()
            try:
                create_page(session, catalog, row, f"Race {n}", f"race-{n}")
                session.commit()
                outcomes.append("created")
            except LimitReached:
                session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=create, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert sorted(outcomes) == ["created", "refused"]
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Page)
                                  .where(Page.tenant_id == tenant.id)) == 10
    finally:
        purge(engine, [tenant.subdomain])
