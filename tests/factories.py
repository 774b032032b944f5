"""Factories: rows as a signup or provisioning would leave them."""

from __future__ import annotations

import itertools
import uuid

from plans.catalog import default_catalog
from tenants.signups import SignupRequest, create_or_resume

_numbers = itertools.count(1)
PASSWORD = "correct horse battery staple"


def signup(session, plan="starter", interval="month", template="corporate", company=None,
           customer_id=None, language="en"):
    """A pending signup; ``language`` (the form's and the site's) is English unless given,
    as the suite's older tests read English."""
    n = next(_numbers)
    unique = uuid.uuid4().hex[:8]
    request = SignupRequest(
        company=company or f"Acme {n}", subdomain=f"acme-{unique}", email=f"owner-{unique}@example.com",
        password=PASSWORD, template=template, plan_id=plan, interval=interval,
        language=language, site_language=language)
    row, _token = create_or_resume(session, default_catalog(), request)
    row.stripe_customer_id = customer_id or f"cus_{unique}"
    session.flush()
    return row


def tenant(app, session, plan="starter", template=None, company=None, provision=False,
           language="en"):
    """An active, live tenant with its owner (password: PASSWORD) and its template's seeded
    pages and products: the rows provisioning leaves, inserted directly (no run, no welcome
    mail, no provider calls). ``provision=True`` runs the whole provisioning instead, for tests
    of what it does (its run, the welcome mail and its sign-in link)."""
    from sqlalchemy import select

    from db.models import Tenant, User
    from db.models.signups import SignupStatus
    from db.models.tenants import ProvisioningState, Role
    from tenants import seeding

    template = template or ("ecommerce" if plan != "starter" else "corporate")
    if provision:
        return provisioned_tenant(app, session, plan=plan, template=template, company=company,
                                  language=language)
    row = signup(session, plan=plan, template=template, company=company, language=language)
    found = Tenant(signup_id=row.id, company=row.company, subdomain=row.subdomain, plan_id=row.plan_id,
                   interval=row.interval, template=row.template, provisioning_state=ProvisioningState.ACTIVE,
                   stripe_customer_id=row.stripe_customer_id, site_settings={},
                   language=language, languages=[language])
    session.add(found)
    session.flush()
    session.add(User(tenant_id=found.id, email=row.email, password_hash=row.password_hash,
                     role=Role.OWNER, language=language))
    seeding.seed_site(session, found)
    seeding.apply_settings(found)
    row.status = SignupStatus.READY
    session.commit()
    found = session.scalar(select(Tenant).where(Tenant.signup_id == row.id))
    found.owner_email = row.email
    return found


def provisioned_tenant(app, session, plan="starter", template=None, company=None, language="en"):
    """A tenant made by the whole provisioning run, as the worker runs it (welcome mail
    included)."""
    from sqlalchemy import select

    from db.models import Tenant
    from tenants.provisioning import run_provisioning
    from worker.jobs.provisioning import provisioning_services

    template = template or ("ecommerce" if plan != "starter" else "corporate")
    row = signup(session, plan=plan, template=template, company=company, language=language)
    session.commit()
    with app.app_context():
        run_provisioning(session, provisioning_services(), row.id)
    found = session.scalar(select(Tenant).where(Tenant.signup_id == row.id))
    found.owner_email = row.email
    return found


def user(session, tenant, role="editor"):
    from db.models import User
    from tenants.passwords import hash_password

    unique = uuid.uuid4().hex[:8]
    row = User(tenant_id=tenant.id, email=f"{role}-{unique}@example.com", role=role,
               password_hash=hash_password(PASSWORD), language=tenant.language)
    session.add(row)
    session.commit()
    return row


def one_of_each(session, tenant):
    """One row of every tenant-owned kind a portal URL names, keyed by the URL argument that
    names it (plus the block index and direction the block routes take)."""
    from datetime import timedelta

    from sqlalchemy import select

    from db.base import utcnow
    from db.models import ContactSubmission, Invite, MediaFile, Order, Page, Post, Product
    from tenants.api_keys import create_key

    media = MediaFile(tenant_id=tenant.id, filename="a.png", storage_name=uuid.uuid4().hex,
                      content_type="image/png", size_bytes=10)
    post = Post(tenant_id=tenant.id, slug=f"p-{uuid.uuid4().hex[:6]}", title="Post", body="x")
    product = Product(tenant_id=tenant.id, slug=f"x-{uuid.uuid4().hex[:6]}", name="X",
                      price_cents=100)
    invite = Invite(tenant_id=tenant.id, email=f"i-{uuid.uuid4().hex[:6]}@example.com",
                    role="editor", token_hash=uuid.uuid4().hex, expires_at=utcnow() + timedelta(days=7))
    submission = ContactSubmission(tenant_id=tenant.id, name="Visitor", email="v@example.com",
                                   message="Hello")
    session.add_all([media, post, product, invite, submission])
    member = user(session, tenant, role="editor")
    key, _ = create_key(session, tenant.id, "k")
    order = Order(tenant_id=tenant.id, language="en", stripe_account_id="acct_roles",
                  status="paid", number=1001, total_cents=1000, email="buyer@example.com")
    session.add(order)
    session.commit()
    page = session.scalar(select(Page).where(Page.tenant_id == tenant.id).order_by(Page.id))
    return {"page_id": page.id, "post_id": post.id, "media_id": media.id,
            "product_id": product.id, "invite_id": invite.id, "member_id": member.id,
            "key_id": key.id, "submission_id": submission.id, "order_id": order.id,
            "index": 0, "direction": "up",
            "lang": "en"}
