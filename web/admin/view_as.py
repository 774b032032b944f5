""""View as tenant": staff open a tenant's portal as its owner sees it, read-only, to answer a
question without asking for a password. It lasts while the staff session does (and ends with
it); every change the portal would make is refused, a banner says so, and the start is
audited."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, redirect, session, url_for
from sqlalchemy import select

from db.models import StaffUser, Tenant, User
from db.models.tenants import Role
from staff import audit
from staff.accounts import READ, may
from staff.tenant_file import tenant_or_404
from web.admin import bp
from web.admin.session import active_staff, requires
from web.extensions import db


@dataclass(frozen=True)
class StaffView:
    staff: StaffUser
    tenant: Tenant
    owner: User


@bp.post("/tenants/<int(max=2147483647):tenant_id>/view")
@requires(READ)
def view_as(tenant_id: int):
    tenant = tenant_or_404(db.session, tenant_id)
    audit.record(db.session, g.staff, "view_as_tenant", tenant_id=tenant.id)
    db.session.commit()
    session["view_as"] = tenant.id
    return redirect(url_for("portal.dashboard"), code=303)


@bp.post("/view/stop")
def stop_viewing():
    tenant_id = session.pop("view_as", None)
    return redirect(url_for("admin.tenant", tenant_id=tenant_id) if tenant_id
                    else url_for("admin.overview"), code=303)


def staff_view() -> StaffView | None:
    """The portal request of a staff member viewing a tenant (the portal's ``load_tenant``
    asks first), or None."""
    tenant_id = session.get("view_as")
    if not tenant_id:
        return None
    staff = active_staff()
    if staff is None or not may(staff, READ):
        session.pop("view_as", None)
        return None
    tenant = db.session.get(Tenant, tenant_id)
    owner = db.session.scalar(select(User).where(User.tenant_id == tenant_id,
                                                 User.role == Role.OWNER).order_by(User.id)) \
        if tenant is not None else None
    if owner is None:
        session.pop("view_as", None)
        return None
    return StaffView(staff, tenant, owner)


