"""The mails of a webshop order, made at delivery from the order as it is then.

The buyer's (confirmation, shipped, not fulfilled) are in the site's language, from the
shop's name, with replies going to the shop's owner. The owner's (new order, not fulfilled)
are in the owner's own language and link the order in the portal.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import MailLog, Order, OrderEvent, Tenant, User
from db.models.tenants import Role
from emails import mails
from links.urls import Urls
from tenants import orders
from tenants.cart import vat_by_rate
from tenants.domain_routing import find_primary

BUYER_MAILS = ("order_confirmation", "order_shipped", "order_out_of_stock")
OWNER_MAILS = ("new_order", "order_out_of_stock_owner")


def _short_products(session: Session, order: Order) -> list[str]:
    event = session.scalar(select(OrderEvent).where(OrderEvent.order_id == order.id,
                                                    OrderEvent.kind == "out_of_stock"))
    return list(event.details.get("products", [])) if event is not None else []


def order_mail(session: Session, urls: Urls, row: MailLog) -> dict | None:
    order = session.get(Order, row.params["order_id"])
    tenant = session.get(Tenant, order.tenant_id) if order is not None else None
    if tenant is None:
        return None
    items = orders.items(session, order)
    shown = {
        "number": order.number or order.id,
        "lines": [{"name": item.name, "quantity": item.quantity,
                   "cents": item.unit_cents * item.quantity} for item in items],
        "goods": order.subtotal_cents, "shipping": order.shipping_cents,
        "shipping_method": order.shipping_method,
        "vat": sorted(vat_by_rate((item.vat_rate, item.unit_cents * item.quantity)
                                  for item in items).items(), reverse=True),
        "total": order.total_cents, "currency": order.currency,
        "name": order.customer_name or "", "address": order.shipping_address or {},
        "email": order.email or "",
        "short": _short_products(session, order) if "out_of_stock" in row.kind else [],
    }
    if row.kind in OWNER_MAILS:
        return getattr(mails, row.kind)(tenant.company, shown, urls.order(order.id))
    owner = session.scalar(select(User.email).where(
        User.tenant_id == tenant.id, User.role == Role.OWNER).order_by(User.id))
    extra = {"tracking_url": order.tracking_url} if row.kind == "order_shipped" else {}
    return {**getattr(mails, row.kind)(tenant.company, shown, site_url(session, urls, tenant),
                                       owner, **extra),
            "language": order.language, "site_language": True}


def site_url(session: Session, urls: Urls, tenant: Tenant) -> str:
    """The shop's main address: its primary domain, else its subdomain."""
    primary = find_primary(session, tenant.subdomain)
    return urls.address(primary.name) if primary else urls.site(tenant.subdomain)
