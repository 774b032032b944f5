"""The access policy: one function from a tenant's billing state to what it may do.

Portal, public site, API and jobs all ask ``access_for``; nothing else decides.
"""

from __future__ import annotations

import enum
from datetime import datetime

from db.base import utcnow
from db.models import Tenant
from db.models.tenants import BillingState, ProvisioningState


class Access(enum.StrEnum):
    FULL = "full"  # active, trialing, or cancellation scheduled
    GRACE = "grace"  # past due, within the plan's grace days: everything works, with a warning
    READ_ONLY = "read_only"  # suspended: site shows a suspension page, portal read-only but billing
    CLOSED = "closed"  # cancelled, data kept until the retention period ends
    NONE = "none"  # not live yet, or its data is deleted

    @property
    def site_is_public(self) -> bool:
        return self in (Access.FULL, Access.GRACE)

    @property
    def may_change_content(self) -> bool:
        return self in (Access.FULL, Access.GRACE)

    @property
    def may_use_portal(self) -> bool:
        return self is not Access.NONE


def access_for(tenant: Tenant, now: datetime | None = None) -> Access:
    now = now or utcnow()
    if tenant.provisioning_state != ProvisioningState.ACTIVE or tenant.billing_state == BillingState.DELETED:
        return Access.NONE
    match tenant.billing_state:
        case BillingState.CLOSED:
            return Access.CLOSED
        case BillingState.SUSPENDED:
            return Access.READ_ONLY
        case BillingState.PAST_DUE:
            # Past the deadline counts as suspended even before the sweep has run.
            if tenant.grace_until is not None and now > tenant.grace_until:
                return Access.READ_ONLY
            return Access.GRACE
        case _:
            return Access.FULL
