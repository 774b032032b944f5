"""All models, imported here so that ``Base.metadata`` knows every table."""

from db.base import Base
from db.models.assistant import AssistantRequest
from db.models.billing import Invoice, StripeEvent, Subscription
from db.models.contact import ContactSubmission
from db.models.content import MediaFile, Page, Post, Product
from db.models.domains import CustomDomain, DomainStatus
from db.models.mail import MailLog
from db.models.monitoring import Incident, SiteCheck, SiteHealth, SiteStatus, SiteUptimeDay
from db.models.provisioning import ProvisioningRun, ProvisioningStep
from db.models.revenue import MrrChange, MrrMovement, MrrState
from db.models.revisions import Revision
from db.models.shop import Order, OrderEvent, OrderItem, Shop
from db.models.signups import Signup, Subdomain, TrialClaim
from db.models.staff import StaffApiToken, StaffAuditEntry, StaffRole, StaffUser
from db.models.tenants import ApiKey, Invite, LoginToken, Tenant, TenantEvent, User
from db.models.translations import PageTranslation, PostTranslation, ProductTranslation

__all__ = [
    "ApiKey",
    "AssistantRequest",
    "Base",
    "ContactSubmission",
    "CustomDomain",
    "DomainStatus",
    "Incident",
    "Invite",
    "TenantEvent",
    "Invoice",
    "LoginToken",
    "MailLog",
    "MediaFile",
    "MrrChange",
    "MrrMovement",
    "MrrState",
    "Order",
    "OrderEvent",
    "OrderItem",
    "Page",
    "PageTranslation",
    "Post",
    "PostTranslation",
    "Product",
    "ProductTranslation",
    "SiteCheck",
    "SiteHealth",
    "SiteStatus",
    "SiteUptimeDay",
    "ProvisioningRun",
    "ProvisioningStep",
    "Revision",
    "Shop",
    "Signup",
    "StaffApiToken",
    "StaffAuditEntry",
    "StaffRole",
    "StaffUser",
    "StripeEvent",
    "Subdomain",
    "TrialClaim",
    "Subscription",
    "Tenant",
    "User",
]
