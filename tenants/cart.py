"""A visitor's cart on a tenant's site: product ids and quantities only (the browser never
holds a price), priced again from the database whenever it is shown or paid.

A line whose product is gone (deleted, hidden, beyond the plan's product limit, another
tenant's) drops out with a note; a quantity above the stock is refused before any payment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.messages import N_, Message
from db.models import Product, Tenant
from db.refusals import Refused
from plans.catalog import Catalog
from plans.entitlements import within_plan

MAX_QUANTITY = 99  # of one product in one order
MAX_LINES = 30
QUANTITY_PATTERN = re.compile(r"^-?[0-9]{1,6}$")

Cart = dict[str, int]  # str(product id) -> quantity, as the session keeps it


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: int

    @property
    def cents(self) -> int:
        return self.product.price_cents * self.quantity


@dataclass
class PricedCart:
    lines: list[Line] = field(default_factory=list)
    notes: list = field(default_factory=list)  # N_ texts / Messages for the visitor

    @property
    def goods_cents(self) -> int:
        return sum(line.cents for line in self.lines)

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)

    def vat(self) -> dict[int, int]:
        return vat_by_rate((line.product.vat_rate, line.cents) for line in self.lines)


def vat_by_rate(lines: Iterable[tuple[int, int]]) -> dict[int, int]:
    """The VAT in prices that include it, per rate, from (rate, cents) pairs:
    {21: 347, 9: 82} (cents, rounded once per rate)."""
    totals: dict[int, int] = {}
    for rate, cents in lines:
        totals[rate] = totals.get(rate, 0) + cents
    return {rate: round(cents * rate / (100 + rate)) for rate, cents in totals.items() if rate}


def quantity(text: str | None) -> int:
    """A quantity typed or posted: a whole number from 1 to MAX_QUANTITY; Refused otherwise."""
    text = (text or "").strip()
    if not QUANTITY_PATTERN.fullmatch(text):
        raise Refused(N_("Enter the quantity as a whole number, e.g. 2."), "quantity", 400)
    number = int(text)
    if number < 1:
        raise Refused(N_("The quantity must be at least 1."), "quantity", 400)
    if number > MAX_QUANTITY:
        raise Refused(Message(N_("You can order at most %(max)s of one product."),
                              max=MAX_QUANTITY), "quantity", 400)
    return number


def product_id(text: str | None) -> int:
    text = (text or "").strip()
    if not text.isdigit() or len(text) > 12:
        raise Refused(N_("This product is not in the shop."), "product", 404)
    return int(text)


def _products(session: Session, catalog: Catalog, tenant: Tenant, ids: list[int]):
    """The tenant's products that the shop shows, by id (hidden, deleted, another tenant's or
    beyond the plan's limit: absent)."""
    return {product.id: product for product in session.scalars(
        select(Product).where(Product.tenant_id == tenant.id, Product.active,
                              Product.id.in_(ids), within_plan(catalog, tenant, "products")))}


def sellable(session: Session, catalog: Catalog, tenant: Tenant, pid: int) -> Product:
    found = _products(session, catalog, tenant, [pid]).get(pid)
    if found is None:
        raise Refused(N_("This product is not in the shop."), "product", 404)
    return found


def add(session: Session, catalog: Catalog, tenant: Tenant, cart: Cart, pid: int,
        count: int) -> Product:
    """Put ``count`` more of the product in the cart; refused beyond the stock or the limits."""
    product = sellable(session, catalog, tenant, pid)
    wanted = cart.get(str(pid), 0) + count
    if str(pid) not in cart and len(cart) >= MAX_LINES:
        raise Refused(Message(N_("A cart holds at most %(max)s different products."),
                              max=MAX_LINES), "product", 400)
    _check_stock(product, min(wanted, MAX_QUANTITY + 1))
    if wanted > MAX_QUANTITY:
        raise Refused(Message(N_("You can order at most %(max)s of one product."),
                              max=MAX_QUANTITY), "quantity", 400)
    cart[str(pid)] = wanted
    return product


def change(session: Session, catalog: Catalog, tenant: Tenant, cart: Cart, pid: int,
           count: int) -> None:
    """Set the line's quantity (0 removes it)."""
    if count == 0:
        cart.pop(str(pid), None)
        return
    product = sellable(session, catalog, tenant, pid)
    _check_stock(product, count)
    cart[str(pid)] = count


def _check_stock(product: Product, wanted: int) -> None:
    if product.stock is not None and wanted > product.stock:
        if product.stock == 0:
            raise Refused(Message(N_("%(name)s is sold out."), name=product.name), "quantity", 409)
        raise Refused(Message(N_("Only %(count)s of %(name)s left."), count=product.stock,
                              name=product.name), "quantity", 409)


def priced(session: Session, catalog: Catalog, tenant: Tenant, cart: Cart) -> PricedCart:
    """The cart's lines with today's products and prices. Lines that can no longer be bought
    drop out of ``cart`` (the caller saves it) with a note saying why."""
    ids = [int(key) for key in cart if key.isdigit()]
    products = _products(session, catalog, tenant, ids)
    result = PricedCart()
    for key, count in list(cart.items()):
        product = products.get(int(key)) if key.isdigit() else None
        if product is None or not isinstance(count, int) or not 0 < count <= MAX_QUANTITY:
            cart.pop(key)
            result.notes.append(N_("A product in your cart is no longer in the shop and was "
                                   "removed."))
            continue
        if product.stock is not None and count > product.stock:
            if product.stock == 0:
                cart.pop(key)
                result.notes.append(Message(N_("%(name)s is sold out and was removed from "
                                               "your cart."), name=product.name))
                continue
            count = cart[key] = product.stock
            result.notes.append(Message(N_("Only %(count)s of %(name)s left: your cart now "
                                           "holds that many."), count=count, name=product.name))
        result.lines.append(Line(product, count))
    result.lines.sort(key=lambda line: (line.product.name, line.product.id))
    return result
