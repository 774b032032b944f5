"""Webshop products: prices typed in euros, addresses unique per tenant, images from the
tenant's own media library. Every product, shown or hidden, counts against the plan's
``products`` limit. One beyond it (after a downgrade: the newest, see
``plans.entitlements.kept``) is read-only and not in the shop until the plan grows; it can be
deleted."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy.orm import Session

from db.messages import N_, Message
from db.models import MediaFile, Product, Tenant
from db.refusals import Refused
from plans.catalog import Catalog
from plans.entitlements import require_kept, reserve
from tenants.scope import scoped
from tenants.shop import VAT_RATES

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 120  # Product.slug
PRICE_PATTERN = re.compile(r"^([0-9]{1,9})(?:[.,]([0-9]+))?$")
MAX_PRICE_CENTS = 99_999_999
STOCK_PATTERN = re.compile(r"^-?[0-9]{1,9}$")
MAX_STOCK = 1_000_000


@dataclass(frozen=True)
class ProductValues:
    name: str
    slug: str  # empty: made from the name
    description: str
    price_cents: int
    stock: int | None  # None: not tracked (always available)
    image_ids: list[int]
    active: bool
    vat_rate: int = 21  # percent included in the price (tenants.shop.VAT_RATES)


def price_cents(text: str) -> int:
    """'19.90' (or '19,90') in euros → 1990. Raises ValueError saying what is wrong."""
    text = (text or "").strip().removeprefix("€").strip()
    if not text:
        raise ValueError(N_("Enter a price, e.g. 19.90."))
    if text.startswith("-") and PRICE_PATTERN.fullmatch(text[1:]):
        raise ValueError(N_("The price cannot be negative."))
    match = PRICE_PATTERN.fullmatch(text)
    if match is None:
        raise ValueError(N_("Enter the price in euros, e.g. 19.90."))
    whole, cents = match.group(1), match.group(2) or ""
    if len(cents) > 2:
        raise ValueError(N_("Use at most two decimals: a price is in whole cents."))
    amount = int(whole) * 100 + int(cents.ljust(2, "0"))
    if amount > MAX_PRICE_CENTS:
        raise ValueError(Message(N_("Enter at most %(amount)s."), amount=euros(MAX_PRICE_CENTS)))
    return amount


def euros(cents: int) -> str:
    """1990 → '19.90', as the price is typed."""
    return f"{cents // 100}.{cents % 100:02d}"


def stock_count(text: str) -> int | None:
    """'12' → 12; '' → None (stock not tracked). Raises ValueError saying what is wrong."""
    text = (text or "").strip()
    if not text:
        return None
    if not STOCK_PATTERN.fullmatch(text):
        raise ValueError(N_("Enter the stock as a whole number, e.g. 12, or leave it empty."))
    count = int(text)
    if count < 0:
        raise ValueError(N_("The stock cannot be negative; enter 0 when sold out."))
    if count > MAX_STOCK:
        raise ValueError(Message(N_("Enter at most %(amount)s."), amount=f"{MAX_STOCK:,}"))
    return count


def slug_problem(slug: str) -> str | None:
    """Why this cannot be a product's address (/shop/<slug>), or None when it can."""
    if not SLUG_PATTERN.fullmatch(slug):
        return N_("Use lowercase letters, digits and single hyphens, e.g. blue-mug.")
    if len(slug) > MAX_SLUG_LENGTH:
        return Message(N_("Use at most %(max)s characters."), max=MAX_SLUG_LENGTH)
    return None


def slugify(text: str) -> str:
    """'Café Crème 500 g' → 'cafe-creme-500-g'; 'product' when nothing usable is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:MAX_SLUG_LENGTH - 10].strip("-") or "product"


def media_path(media: MediaFile) -> str:
    """Where the tenant's site serves an uploaded file; stored in ``Product.images``."""
    return f"/media/{media.storage_name}"


def _images(tenant_id: int):
    return scoped(MediaFile, tenant_id).where(MediaFile.content_type.startswith("image/"))


def image_choices(session: Session, tenant_id: int) -> list[MediaFile]:
    """The tenant's uploaded images, newest first."""
    return list(session.scalars(_images(tenant_id)
                                .order_by(MediaFile.created_at.desc(), MediaFile.id.desc())))


def chosen_image_ids(session: Session, product: Product) -> list[int]:
    """The media ids behind the product's stored image paths, for the edit form."""
    by_path = {media_path(m): m.id for m in image_choices(session, product.tenant_id)}
    return [by_path[path] for path in product.images if path in by_path]


def listing(session: Session, tenant_id: int) -> list[Product]:
    return list(session.scalars(scoped(Product, tenant_id).order_by(Product.name, Product.id)))


def _image_paths(session: Session, tenant_id: int, image_ids: list[int]) -> list[str]:
    wanted = list(dict.fromkeys(image_ids))
    found = {m.id: m for m in session.scalars(_images(tenant_id)
                                               .where(MediaFile.id.in_(wanted)))}
    if len(found) != len(wanted):
        raise Refused(N_("Choose images from your media library."), "images")
    return [media_path(found[i]) for i in wanted]


def _slug(session: Session, tenant_id: int, values: ProductValues, product_id: int | None) -> str:
    """The entered address when free; else one made from the name, numbered until free."""
    others = scoped(Product, tenant_id)
    if product_id is not None:
        others = others.where(Product.id != product_id)
    if values.slug:
        if session.scalar(others.where(Product.slug == values.slug)) is not None:
            raise Refused(N_("Another product already uses this address."), "slug")
        return values.slug
    base = slugify(values.name)
    taken = {p.slug for p in session.scalars(others.where(Product.slug.startswith(base)))}
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _apply(session: Session, product: Product, values: ProductValues) -> None:
    slug = _slug(session, product.tenant_id, values, product.id)
    images = _image_paths(session, product.tenant_id, values.image_ids)
    product.slug, product.images = slug, images
    product.name, product.description = values.name, values.description
    product.price_cents, product.stock, product.active = values.price_cents, values.stock, values.active
    if values.vat_rate not in VAT_RATES:
        raise Refused(N_("Choose a VAT rate: 21%, 9% or 0%."), "vat_rate")
    product.vat_rate = values.vat_rate


def create(session: Session, catalog: Catalog, tenant: Tenant, values: ProductValues) -> Product:
    """A new product, if the plan's limit allows one more. Flushes."""
    reserve(session, catalog, tenant, "products")
    product = Product(tenant_id=tenant.id)
    _apply(session, product, values)
    session.add(product)
    session.flush()
    return product


def update(session: Session, catalog: Catalog, tenant: Tenant, product: Product,
           values: ProductValues) -> None:
    """Raises ``OverLimit`` for a product beyond the plan's limit (read-only). Flushes."""
    require_kept(session, catalog, tenant, "products", product.id)
    _apply(session, product, values)
    session.flush()


def delete(session: Session, product: Product) -> None:
    session.delete(product)
    session.flush()
