"""Factories: rows as a signup or provisioning would leave them."""

from __future__ import annotations

import itertools
import uuid

from billing.catalog import default_catalog
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
