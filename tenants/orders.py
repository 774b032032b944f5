"""Orders of a tenant's webshop: opened at checkout, paid exactly once, stock taken atomically,
shipped, canceled or refunded by the owner, every change kept in the order's history.

No Stripe here: ``billing.shop_checkout`` and ``billing.connect_handlers`` talk to Stripe and
call these rules with what it said.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import or_, select, text, update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.messages import N_, Message
from db.models import Order, OrderEvent, OrderItem, Product, Shop, Tenant, User
from db.models.shop import OrderStatus
from db.models.tenants import Role
from db.refusals import Refused
from emails.outbox import queue_mail
from tenants.cart import PricedCart
from tenants.contact import safe_cell
from tenants.scope import scoped, unconfined

# What the owner sees by default: orders that were paid (open ones are at Stripe's checkout).
PLACED = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.CANCELED, OrderStatus.REFUNDED)
PAGE_SIZE = 50
TRACKING_MAX = 500


@dataclass(frozen=True)
class Payment:
    """What Stripe says of a paid checkout (``billing.connect_handlers`` reads it)."""

    payment_intent_id: str | None
    email: str | None
    name: str | None
    address: dict | None
    shipping_method: str
    shipping_cents: int
    tax_cents: int
    total_cents: int


def open_order(session: Session, tenant: Tenant, shop: Shop, cart: PricedCart, language: str,
               fee_cents: int) -> Order:
    """The order as it goes to Stripe Checkout: the lines copied with today's prices. Flushes."""
    order = Order(tenant_id=tenant.id, status=OrderStatus.OPEN, language=language,
                  stripe_account_id=shop.stripe_account_id, currency="eur",
                  subtotal_cents=cart.goods_cents, total_cents=cart.goods_cents,
                  tax_cents=sum(cart.vat().values()), fee_cents=fee_cents, shipping_cents=0,
                  refunded_cents=0, shipping_method="")
    session.add(order)
    session.flush()
    for line in cart.lines:
        session.add(OrderItem(tenant_id=tenant.id, order_id=order.id, product_id=line.product.id,
                              name=line.product.name, unit_cents=line.product.price_cents,
                              quantity=line.quantity, vat_rate=line.product.vat_rate))
    session.flush()
    return order


def for_checkout(session: Session, account_id: str, checkout_session_id: str) -> Order | None:
    """The order paid through this Checkout Session of this account, locked."""
    return session.scalar(select(Order).where(
        Order.checkout_session_id == checkout_session_id,
        Order.stripe_account_id == account_id).with_for_update())


def items(session: Session, order: Order) -> list[OrderItem]:
    return list(session.scalars(select(OrderItem).where(OrderItem.order_id == order.id)
                                .order_by(OrderItem.id)))


def history(session: Session, order: Order) -> list[OrderEvent]:
    return list(session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)
                                .order_by(OrderEvent.created_at, OrderEvent.id)))


def record(session: Session, order: Order, kind: str, actor: str = "", note: str = "",
           **details) -> None:
    session.add(OrderEvent(tenant_id=order.tenant_id, order_id=order.id, kind=kind, actor=actor,
                           note=note, details=details))


def take_stock(session: Session, order: Order) -> list[str]:
    """Take the order's quantities from the tracked stock, all or nothing; the names of the
    products that had too little (then nothing was taken). Flushes."""
    short = []
    savepoint = session.begin_nested()
    # In product order, so two orders of the same products never wait on each other in a cycle.
    for item in sorted(items(session, order), key=lambda item: item.product_id or 0):
        if item.product_id is None:
            continue  # deleted since: the sale stands, there is no stock to keep
        taken = session.execute(
            update(Product).where(Product.id == item.product_id,
                                  Product.tenant_id == order.tenant_id,
                                  or_(Product.stock.is_(None), Product.stock >= item.quantity))
            .values(stock=Product.stock - item.quantity)
            .returning(Product.id)).first()
        if taken is None:
            short.append(item.name)
    if short:
        savepoint.rollback()
    else:
        savepoint.commit()
    return short


def _number(session: Session, tenant_id: int) -> int:
    return session.execute(text(
        "UPDATE shops SET last_order_number = last_order_number + 1 WHERE tenant_id = :tenant "
        "RETURNING last_order_number"), {"tenant": tenant_id}).scalar_one()


def _fill(order: Order, payment: Payment) -> None:
    order.payment_intent_id = payment.payment_intent_id
    order.email, order.customer_name = payment.email, payment.name
    order.shipping_address, order.shipping_method = payment.address, payment.shipping_method
    order.shipping_cents, order.tax_cents = payment.shipping_cents, payment.tax_cents
    order.total_cents = payment.total_cents


def paid(session: Session, order: Order, payment: Payment) -> list[str]:
    """The order is paid and its stock taken: it gets its number; the buyer's confirmation and
    the owner's notice are queued. Returns the mail keys to deliver after commit."""
    _fill(order, payment)
    order.status, order.paid_at = OrderStatus.PAID, utcnow()
    order.number = _number(session, order.tenant_id)
    record(session, order, "paid", amount=payment.total_cents)
    return _queue(session, order, "order_confirmation", [order.email]) + _queue(
        session, order, "new_order", _owners(session, order.tenant_id))


def refunded_for_stock(session: Session, order: Order, payment: Payment, short: list[str],
                       refund_id: str) -> list[str]:
    """The stock ran out before the payment arrived: the payment was refunded in full, and
    buyer and owner are told. Returns the mail keys to deliver after commit."""
    _fill(order, payment)
    order.status, order.closed_at = OrderStatus.REFUNDED, utcnow()
    order.refunded_cents = payment.total_cents
    record(session, order, "out_of_stock", products=short, refund=refund_id,
           amount=payment.total_cents)
    # The owner hears of a sell-out once an hour, not once per late buyer (a race of a hundred
    # buyers for the last items); every such order is in the portal.
    hour = f"{order.tenant_id}-{utcnow():%Y%m%d%H}"
    return _queue(session, order, "order_out_of_stock", [order.email]) + _queue(
        session, order, "order_out_of_stock_owner", _owners(session, order.tenant_id), hour)


def expired(session: Session, order: Order) -> None:
    if order.status == OrderStatus.OPEN:
        order.status, order.closed_at = OrderStatus.EXPIRED, utcnow()


def _owners(session: Session, tenant_id: int) -> list[str]:
    return list(session.scalars(select(User.email).where(
        User.tenant_id == tenant_id, User.role == Role.OWNER).order_by(User.id)))


def _queue(session: Session, order: Order, kind: str, addresses: list[str | None],
           once_per: str | None = None) -> list[str]:
    """One mail per address and order (or per ``once_per``)."""
    keys = []
    with unconfined(session):  # the portal's tenant role may not write mail_log
        for address in filter(None, addresses):
            key = f"{kind}-{once_per or order.id}-{address.lower()}"
            if queue_mail(session, key=key, kind=kind, to=address, tenant_id=order.tenant_id,
                          params={"order_id": order.id}):
                keys.append(key)
    return keys


# The owner's changes (the portal): each checked here, each in the history.

def require(order: Order, *statuses: str) -> None:
    if order.status not in statuses:
        raise Refused(N_("This order cannot be changed that way any more."), status=409)


def tracking_url(value: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > TRACKING_MAX or not value.startswith(("https://", "http://")) \
            or any(char.isspace() for char in value):
        raise Refused(N_("Enter the tracking link as a web address starting with https://."),
                      "tracking_url", 400)
    return value


def ship(session: Session, order: Order, tracking: str | None, actor: str) -> list[str]:
    require(order, OrderStatus.PAID)
    order.status, order.shipped_at, order.tracking_url = OrderStatus.SHIPPED, utcnow(), tracking
    record(session, order, "shipped", actor, tracking_url=tracking)
    return _queue(session, order, "order_shipped", [order.email])


def refundable(order: Order) -> int:
    return max(0, order.total_cents - order.refunded_cents)


def refund_amount(order: Order, cents: int | None) -> int:
    """What a refund of ``cents`` (None: all that is left) takes; Refused when it cannot."""
    require(order, OrderStatus.PAID, OrderStatus.SHIPPED)
    left = refundable(order)
    amount = left if cents is None else cents
    if left == 0:
        raise Refused(N_("This order has been refunded in full already."), status=409)
    if amount < 1 or amount > left:
        raise Refused(Message(N_("Refund an amount from 0.01 to %(amount)s."),
                              amount=_euros(left)), "amount", 400)
    return amount


def refunded(session: Session, order: Order, amount: int, refund_id: str, actor: str,
             reason: str = "") -> None:
    order.refunded_cents += amount
    record(session, order, "refunded", actor, reason, amount=amount, refund=refund_id)


def canceled(session: Session, order: Order, amount: int, refund_id: str | None, actor: str,
             reason: str = "") -> None:
    """Canceled before shipping: the rest refunded (``amount``), the stock put back."""
    require(order, OrderStatus.PAID)
    order.refunded_cents += amount
    order.status, order.closed_at = OrderStatus.CANCELED, utcnow()
    for item in items(session, order):
        if item.product_id is not None:
            session.execute(update(Product).where(
                Product.id == item.product_id, Product.tenant_id == order.tenant_id,
                Product.stock.is_not(None)).values(stock=Product.stock + item.quantity))
    record(session, order, "canceled", actor, reason, amount=amount, refund=refund_id)


def refunds_seen(session: Session, order: Order, amount_refunded: int) -> None:
    """Stripe says this much is refunded in all (refunds made in Stripe's own dashboard too)."""
    if amount_refunded > order.refunded_cents:
        record(session, order, "refunded", "Stripe",
               amount=amount_refunded - order.refunded_cents)
        order.refunded_cents = amount_refunded


# The owner's list.

def listing(session: Session, tenant_id: int, status: str | None = None, query: str = "",
            page: int = 1, size: int | None = PAGE_SIZE):
    """Placed orders, newest first; ``status`` one of them, ``query`` an order number, an
    email address or part of the buyer's name."""
    statement = scoped(Order, tenant_id).where(Order.status.in_(
        [status] if status in PLACED else PLACED))
    query = query.strip()[:100]
    if query:
        number = query.lstrip("#")
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        matches = [Order.email.ilike(pattern), Order.customer_name.ilike(pattern)]
        if number.isdigit() and len(number) < 10:
            matches.append(Order.number == int(number))
        statement = statement.where(or_(*matches))
    statement = statement.order_by(Order.paid_at.desc(), Order.id.desc())
    if size is not None:
        statement = statement.limit(size + 1).offset((max(page, 1) - 1) * size)
    return list(session.scalars(statement))


def get(session: Session, tenant_id: int, order_id: int, *, lock: bool = False) -> Order:
    """The tenant's placed order; another tenant's, or one still at checkout, is a 404."""
    statement = scoped(Order, tenant_id).where(Order.id == order_id, Order.status.in_(PLACED))
    order = session.scalar(statement.with_for_update() if lock else statement)
    if order is None:
        raise Refused(N_("There is no such order."), status=404)
    return order


def export_csv(session: Session, tenant_id: int) -> str:
    """Every placed order, one row each, for a spreadsheet or the bookkeeping."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["number", "paid", "status", "name", "email", "country", "products",
                     "shipping", "vat", "total", "refunded", "currency", "tracking"])
    placed = listing(session, tenant_id, size=None)
    lines_of: dict[int, list[str]] = {}
    for item in session.scalars(select(OrderItem).where(
            OrderItem.order_id.in_([order.id for order in placed])).order_by(OrderItem.id)):
        lines_of.setdefault(item.order_id, []).append(f"{item.quantity} x {item.name}")
    for order in placed:
        lines = "; ".join(lines_of.get(order.id, []))
        country = (order.shipping_address or {}).get("country") or ""
        writer.writerow([
            order.number, order.paid_at.isoformat(timespec="seconds") if order.paid_at else "",
            order.status, safe_cell(order.customer_name or ""), safe_cell(order.email or ""),
            country, safe_cell(lines), _euros(order.shipping_cents), _euros(order.tax_cents),
            _euros(order.total_cents), _euros(order.refunded_cents), order.currency.upper(),
            safe_cell(order.tracking_url or "")])
    return out.getvalue()


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"
