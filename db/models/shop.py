"""The webshop's sales: the tenant's Stripe account (Connect), its shipping, orders and their
history. Written by the shop rules (``tenants/shop_*.py``, ``tenants/orders.py``)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, CreatedAt, one_of


class Shop(Base):
    """One per tenant that opened its shop settings: the connected Stripe account (a Standard
    account: the tenant's own, see tenants/shop_accounts.py) and how orders are shipped."""

    __tablename__ = "shops"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"),
                                           primary_key=True)
    stripe_account_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    charges_enabled: Mapped[bool] = mapped_column(default=False)
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    details_submitted: Mapped[bool] = mapped_column(default=False)
    requirements_due: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    connected_at: Mapped[datetime | None]
    disconnected_at: Mapped[datetime | None]  # set: no new orders, the account is kept
    # Shipping, all in cents; None: not offered.
    flat_rate_cents: Mapped[int | None] = mapped_column(default=495)
    free_above_cents: Mapped[int | None] = mapped_column(default=None)
    pickup: Mapped[bool] = mapped_column(default=False)
    pickup_address: Mapped[str] = mapped_column(String(300), default="")
    ship_countries: Mapped[list] = mapped_column(JSONB, default=lambda: ["NL", "BE"],
                                                 server_default='["NL", "BE"]')
    # Inclusive VAT tax rates made on the account, by percentage: {"21": "txr_..."}.
    tax_rates: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    last_order_number: Mapped[int] = mapped_column(default=1000, server_default="1000")
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    @property
    def takes_orders(self) -> bool:
        return bool(self.stripe_account_id and self.charges_enabled
                    and self.disconnected_at is None)


class OrderStatus(enum.StrEnum):
    OPEN = "open"  # at Stripe Checkout, not paid (not an order yet for the owner)
    PAID = "paid"
    SHIPPED = "shipped"
    CANCELED = "canceled"  # by the owner, refunded
    REFUNDED = "refunded"  # never fulfilled: the stock ran out before the payment arrived
    EXPIRED = "expired"  # the checkout ended unpaid


class Order(CreatedAt, Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_orders_tenant_id_status", "tenant_id", "status"),
        one_of("status", OrderStatus),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    number: Mapped[int | None]  # given when paid: 1001, 1002, ... per shop
    status: Mapped[str] = mapped_column(String(16), default=OrderStatus.OPEN)
    language: Mapped[str] = mapped_column(String(8))  # the site's, for the buyer's mails
    stripe_account_id: Mapped[str] = mapped_column(String(64))
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    shipping_address: Mapped[dict | None] = mapped_column(JSONB)
    shipping_method: Mapped[str] = mapped_column(String(16), default="")  # flat, free, pickup
    currency: Mapped[str] = mapped_column(String(8), default="eur")
    subtotal_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # items, VAT included
    shipping_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # the VAT in the total
    total_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # the platform's share
    refunded_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    tracking_url: Mapped[str | None] = mapped_column(String(500))
    paid_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # canceled, refunded or expired
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class OrderItem(Base):
    """A line as it was sold: name and price copied from the product at checkout."""

    __tablename__ = "order_items"
    __table_args__ = (Index("ix_order_items_order_id", "order_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    unit_cents: Mapped[int] = mapped_column(BigInteger)  # VAT included
    quantity: Mapped[int]
    vat_rate: Mapped[int]  # percent: 21, 9 or 0


class OrderEvent(CreatedAt, Base):
    """The order's history, never edited: paid, shipped, refunded, canceled..."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order_id", "order_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(254), default="")  # a member's email; "" = the shop
    details: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    note: Mapped[str] = mapped_column(Text, default="")
