"""Seed a new tenant's site from its template, in the site's language (one copy, however often
it runs)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Page, Product, Tenant
from tenants.site_content import load_site_template


def seed_site(session: Session, tenant: Tenant) -> str:
    if session.scalar(select(Page.id).where(Page.tenant_id == tenant.id).limit(1)):
        return "already seeded"
    content = load_site_template(tenant.template, tenant.language)
    for page in content.pages:
        session.add(Page(tenant_id=tenant.id, **page.as_row(tenant.company)))
    for product in content.products:
        session.add(Product(tenant_id=tenant.id, **product.as_row(tenant.company)))
    session.flush()
    return f"{len(content.pages)} pages, {len(content.products)} products"


def apply_settings(tenant: Tenant) -> str:
    settings = load_site_template(tenant.template, tenant.language).settings.as_dict(
        tenant.company)
    settings.update(tenant.site_settings or {})
    settings["site_name"] = tenant.company
    tenant.site_settings = settings
    return f"theme {tenant.template}"
