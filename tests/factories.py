"""Factories: rows as a signup or provisioning would leave them."""

from __future__ import annotations

import itertools
import uuid

from plans.catalog import default_catalog
from tenants.signups import SignupRequest, create_or_resume

_numbers = itertools.count(1)
PASSWORD = "correct horse battery staple"


def signup(session, plan="starter", interval="month", template="corporate", company=None,
           customer_id=None):
    n = next(_numbers)
    unique = uuid.uuid4().hex[:8]
    request = SignupRequest(
        company=company or f"Acme {n}", subdomain=f"acme-{unique}", email=f"owner-{unique}@example.com",
        password=PASSWORD, template=template, plan_id=plan, interval=interval)
    row, _token = create_or_resume(session, default_catalog(), request)
    row.stripe_customer_id = customer_id or f"cus_{unique}"
    session.flush()
    return row


def tenant(app, session, plan="starter", template=None, company=None):
    """A provisioned, active tenant with its owner (password: PASSWORD)."""
    from sqlalchemy import select

    from db.models import Tenant
    from tenants.provisioning import run_provisioning
    from worker.jobs.provisioning import services

    template = template or ("ecommerce" if plan != "starter" else "corporate")
    row = signup(session, plan=plan, template=template, company=company)
    session.commit()
    with app.app_context():
        run_provisioning(session, services(), row.id)
    found = session.scalar(select(Tenant).where(Tenant.signup_id == row.id))
    found.owner_email = row.email
    return found


def user(session, tenant, role="editor"):
    from db.models import User
    from tenants.passwords import hash_password

    unique = uuid.uuid4().hex[:8]
    row = User(tenant_id=tenant.id, email=f"{role}-{unique}@example.com", role=role,
               password_hash=hash_password(PASSWORD))
    session.add(row)
    session.commit()
    return row
