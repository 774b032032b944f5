"""The getting-started checklist on the portal's dashboard: the first things a new customer
does to make the seeded site their own, each worked out from what is in the database (nothing
is ticked by hand). The dashboard shows it until every step is done.

A step names where it is done: a portal endpoint (with its arguments), or for the contact form
a page of the tenant's own site; the view turns that into a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.messages import N_
from db.models import ContactSubmission, CustomDomain, DomainStatus, Page, Tenant
from plans.catalog import Catalog
from plans.entitlements import may_use, used
from tenants.scope import scoped
from tenants.site_content import SiteTemplateError, load_site_template

COLOR_KEYS = ("primary_color", "accent_color", "background_color")


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    done: bool
    endpoint: str | None = None  # the portal page where it is done
    args: dict = field(default_factory=dict)
    site_path: str | None = None  # or a page of the tenant's site ("/contact")


@dataclass(frozen=True)
class Checklist:
    steps: tuple[Step, ...]

    @property
    def done(self) -> int:
        return sum(1 for step in self.steps if step.done)

    @property
    def complete(self) -> bool:
        return self.done == len(self.steps)


def _own_look(tenant: Tenant) -> bool:
    """A logo, or any colour other than the template's."""
    settings = tenant.site_settings or {}
    if settings.get("logo_media_id"):
        return True
    try:
        defaults = load_site_template(tenant.template, tenant.language).settings
    except SiteTemplateError:
        return False
    return any(isinstance(settings.get(key), str)
               and settings[key].lower() != getattr(defaults, key).lower()
               for key in COLOR_KEYS)


def _has_block(page: Page, test) -> bool:
    return any(isinstance(block, dict) and test(block) for block in page.blocks or [])


def _page_with_placeholder(published: list[Page]) -> Page | None:
    """The first published page (in navigation order) still holding starter text."""
    return next((page for page in published
                 if _has_block(page, lambda block: block.get("placeholder") is True)), None)


def _starter_slugs(tenant: Tenant) -> set[str]:
    try:
        return {page.slug for page in load_site_template(tenant.template, tenant.language).pages}
    except SiteTemplateError:
        return set()


def _contact_path(published: list[Page]) -> str:
    """The site's page with the contact form (home is "/")."""
    for page in published:
        if _has_block(page, lambda block: block.get("type") == "contact_form"):
            return "/" if page.slug == "home" else f"/{page.slug}"
    return "/contact"


def getting_started(session: Session, catalog: Catalog, tenant: Tenant) -> Checklist:
    """The checklist for this tenant, each step done or not as things stand."""
    published = list(session.scalars(scoped(Page, tenant.id).where(Page.published.is_(True))
                                     .order_by(Page.position, Page.id)))
    placeholder_page = _page_with_placeholder(published)
    own_page = session.scalar(select(Page.id).where(
        Page.tenant_id == tenant.id, Page.slug.not_in(_starter_slugs(tenant))).limit(1))
    messages = session.scalar(select(ContactSubmission.id).where(
        ContactSubmission.tenant_id == tenant.id).limit(1))
    steps = [
        Step("theme", N_("Choose your logo and colours"), _own_look(tenant), "portal.theme"),
        Step("placeholders", N_("Replace the example texts on your pages with your own"),
             placeholder_page is None,
             *(("portal.edit_page", {"page_id": placeholder_page.id}) if placeholder_page
               else ("portal.pages", {}))),
        Step("own_page", N_("Add a page of your own"), own_page is not None, "portal.new_page"),
        Step("contact_form", N_("Send yourself a test message through your contact form"),
             messages is not None, site_path=_contact_path(published)),
        Step("colleague", N_("Invite a colleague"), used(session, tenant, "users") > 1, "portal.team"),
    ]
    if may_use(catalog, tenant, "custom_domain"):
        verified = session.scalar(scoped(CustomDomain, tenant.id).with_only_columns(
            CustomDomain.id).where(CustomDomain.status == DomainStatus.VERIFIED).limit(1))
        steps.append(Step("domain", N_("Connect your own domain"), verified is not None,
                          "portal.domain"))
    return Checklist(tuple(steps))
