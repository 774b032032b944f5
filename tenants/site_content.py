"""Starter content for each site template, read from ``site_templates/<id>.json`` and validated.

``BLOCK_FIELDS`` is the one definition of what each page block holds: the template files are
checked against it here, and the portal's page editor checks edits with ``validate_blocks``.
Text may contain ``{company}``, which ``personalise`` replaces by the tenant's company name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TEMPLATE_DIR = Path(__file__).with_name("site_templates")
TEMPLATE_IDS = ("corporate", "portfolio", "blog", "ecommerce", "b2b")
COMPANY_PLACEHOLDER = "{company}"
HOME_SLUG = "home"
RESERVED_SLUGS = frozenset({"shop", "blog", "media"})  # listings and uploaded files
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 80  # Page.slug
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
FONTS = ("sans", "serif", "modern", "friendly")  # font pairings: web/public_site/theme.py
LINK_PREFIXES = ("/", "#", "https://", "http://", "mailto:", "tel:")
MAX_PRODUCTS_SHOWN = 24
MAX_ID = 2**31 - 1  # row ids are PostgreSQL integers

# Block type -> the fields its data must have. A field's name says what it holds: "items" is a
# non-empty list of objects with ITEM_FIELDS, "limit" a whole number of products to show,
# "button_link" and "link" a link (see LINK_PREFIXES, may be empty), "media_id" the id of one of
# the tenant's images (null until one is chosen), "image_side" one of IMAGE_SIDES, and every
# other field is text. Image blocks may also hold "decorative": true, which stands for an image
# that needs no description (its "alt" is then empty); without it, a chosen image needs "alt".
BLOCK_FIELDS: dict[str, tuple[str, ...]] = {
    "hero": ("heading", "subheading", "button_label", "button_link"),
    "text": ("heading", "body"),
    "features": ("heading", "items"),
    "testimonials": ("items",),
    "cta": ("heading", "body", "button_label", "button_link"),
    "faq": ("heading", "items"),
    "contact_form": ("heading", "body", "submit_label"),
    "products": ("heading", "limit"),
    "image": ("media_id", "alt", "caption", "link"),
    "image_with_text": ("media_id", "alt", "heading", "body", "image_side"),
}
IMAGE_BLOCKS = frozenset({"image", "image_with_text"})
IMAGE_SIDES = ("left", "right")
LINK_FIELDS = ("button_link", "link")
ITEM_FIELDS: dict[str, tuple[str, ...]] = {
    "features": ("title", "body"),
    "testimonials": ("quote", "author", "role"),
    "faq": ("question", "answer"),
}


class SiteTemplateError(ValueError):
    """A site template file is not valid; the message names the file and the item."""


def personalise(text: str, company: str) -> str:
    """Put the company name where the text says ``{company}``; nothing else is interpreted."""
    return text.replace(COMPANY_PLACEHOLDER, company)


def _personalise_value(value, company: str):
    if isinstance(value, str):
        return personalise(value, company)
    if isinstance(value, list):
        return [_personalise_value(item, company) for item in value]
    if isinstance(value, dict):
        return {key: _personalise_value(item, company) for key, item in value.items()}
    return value


def is_safe_link(link: str) -> bool:
    """Empty, or a link that cannot run script (no ``javascript:``) or leave for another host
    without saying so (no ``//host``)."""
    return link == "" or (link.startswith(LINK_PREFIXES) and not link.startswith("//"))


def _field_problem(block_type: str, field: str, value) -> str | None:
    if field == "items":
        if not isinstance(value, list) or not value:
            return "'items' must be a non-empty list"
        for number, item in enumerate(value, start=1):
            if not isinstance(item, dict):
                return f"item {number} must be an object"
            for name in ITEM_FIELDS[block_type]:
                if not isinstance(item.get(name), str):
                    return f"item {number} is missing the text field '{name}'"
        return None
    if field == "limit":
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not whole or not 0 < value <= MAX_PRODUCTS_SHOWN:
            return f"'limit' must be a whole number from 1 to {MAX_PRODUCTS_SHOWN}"
        return None
    if field == "media_id":
        whole = isinstance(value, int) and not isinstance(value, bool)
        if value is not None and not (whole and 0 < value <= MAX_ID):
            return "'media_id' must be the number of one of your images"
        return None
    if not isinstance(value, str):
        return f"'{field}' must be text"
    if field in LINK_FIELDS and not is_safe_link(value):
        return f"'{field}' must start with {', '.join(LINK_PREFIXES)}"
    if field == "image_side" and value not in IMAGE_SIDES:
        return f"'image_side' must be one of {', '.join(IMAGE_SIDES)}"
    return None


def _image_problems(data: dict) -> list[str]:
    """An image block's description: required for a chosen image unless it is decorative."""
    decorative = data.get("decorative", False)
    if not isinstance(decorative, bool):
        return ["'decorative' must be true or false"]
    alt = data.get("alt")
    if decorative and alt:
        return ["a decorative image has no alt text"]
    if decorative and data.get("link"):
        return ["a linked image needs alt text that says where the link goes"]
    if data.get("media_id") is not None and not decorative and isinstance(alt, str) \
            and not alt.strip():
        return ["add alt text that describes the image, or mark it as decorative"]
    return []


def block_problems(block) -> list[str]:
    """What is wrong with one block, as short phrases; empty when the block can be shown."""
    if not isinstance(block, dict) or not isinstance(block.get("data"), dict):
        return ["must be an object with a 'type' and a 'data' object"]
    block_type = block.get("type")
    if block_type not in BLOCK_FIELDS:
        return [f"unknown block type {block_type!r} (expected one of {', '.join(BLOCK_FIELDS)})"]
    data = block["data"]
    problems = []
    if not isinstance(block.get("placeholder", False), bool):
        problems.append("'placeholder' must be true or false")
    for field in BLOCK_FIELDS[block_type]:
        if field not in data:
            problems.append(f"missing field '{field}'")
        else:
            problem = _field_problem(block_type, field, data[field])
            if problem:
                problems.append(problem)
    if block_type in IMAGE_BLOCKS:
        problems.extend(_image_problems(data))
    return problems


def validate_blocks(blocks) -> list[str]:
    """Every problem in a page's blocks, in words for the person editing the page."""
    if not isinstance(blocks, list):
        return ["The blocks must be a list."]
    problems = []
    for number, block in enumerate(blocks, start=1):
        block_type = block.get("type") if isinstance(block, dict) else None
        label = f"Block {number}"
        if isinstance(block_type, str):
            label += f" ({block_type})"
        problems.extend(f"{label}: {problem}." for problem in block_problems(block))
    return problems


def slug_problem(slug) -> str | None:
    """Why this cannot be a page's address, or None when it can."""
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        return "use lowercase letters, digits and single hyphens"
    if len(slug) > MAX_SLUG_LENGTH:
        return f"use at most {MAX_SLUG_LENGTH} characters"
    if slug in RESERVED_SLUGS:
        return f"'/{slug}' is kept for the site's {slug}"
    return None


@dataclass(frozen=True)
class SiteSettings:
    primary_color: str
    accent_color: str
    background_color: str
    font: str
    tagline: str

    def as_dict(self, company: str) -> dict:
        """The value for ``Tenant.site_settings``."""
        return {
            "primary_color": self.primary_color,
            "accent_color": self.accent_color,
            "background_color": self.background_color,
            "font": self.font,
            "tagline": personalise(self.tagline, company),
        }


@dataclass(frozen=True)
class Block:
    type: str
    data: dict
    placeholder: bool = False  # starter text the owner should replace


@dataclass(frozen=True)
class PageContent:
    slug: str
    title: str
    position: int
    in_navigation: bool
    published: bool
    blocks: tuple[Block, ...]

    def as_row(self, company: str) -> dict:
        """Keyword arguments for ``db.models.Page`` (add ``tenant_id``)."""
        return {
            "slug": self.slug,
            "title": personalise(self.title, company),
            "position": self.position,
            "in_navigation": self.in_navigation,
            "published": self.published,
            "blocks": [
                {"type": block.type, "data": _personalise_value(block.data, company),
                 **({"placeholder": True} if block.placeholder else {})}
                for block in self.blocks
            ],
        }


@dataclass(frozen=True)
class ProductContent:
    slug: str
    name: str
    description: str
    price_cents: int
    stock: int | None  # None: not tracked
    images: tuple[str, ...]

    def as_row(self, company: str) -> dict:
        """Keyword arguments for ``db.models.Product`` (add ``tenant_id``)."""
        return {
            "slug": self.slug,
            "name": personalise(self.name, company),
            "description": personalise(self.description, company),
            "price_cents": self.price_cents,
            "stock": self.stock,
            "images": list(self.images),
        }


@dataclass(frozen=True)
class SiteTemplateContent:
    id: str
    name: str
    settings: SiteSettings
    pages: tuple[PageContent, ...]
    products: tuple[ProductContent, ...]


_KIND_NAMES = {str: "text", int: "a whole number", bool: "true or false", list: "a list",
               dict: "an object"}


def _require(raw: dict, key: str, kind: type, where: str):
    value = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise SiteTemplateError(f"{where}: '{key}' must be {_KIND_NAMES[kind]}")
    return value


def _parse_settings(raw: dict, where: str) -> SiteSettings:
    where = f"{where}: settings"
    colors = {}
    for key in ("primary_color", "accent_color", "background_color"):
        colors[key] = _require(raw, key, str, where)
        if not COLOR_PATTERN.match(colors[key]):
            raise SiteTemplateError(f"{where}: '{key}' must be a colour like #1f3a5f")
    font = _require(raw, "font", str, where)
    if font not in FONTS:
        raise SiteTemplateError(f"{where}: 'font' must be one of {', '.join(FONTS)}")
    return SiteSettings(**colors, font=font, tagline=_require(raw, "tagline", str, where))


def _parse_product(raw: dict, where: str) -> ProductContent:
    slug = _require(raw, "slug", str, where)
    where = f"{where} '{slug}'"
    if not SLUG_PATTERN.match(slug):
        raise SiteTemplateError(f"{where}: slug must use lowercase letters, digits and hyphens")
    price_cents = _require(raw, "price_cents", int, where)
    stock = _require(raw, "stock", int, where) if raw.get("stock") is not None else None
    if price_cents <= 0 or (stock is not None and stock < 0):
        raise SiteTemplateError(f"{where}: price must be positive and stock not negative")
    images = _require(raw, "images", list, where)
    if not all(isinstance(image, str) for image in images):
        raise SiteTemplateError(f"{where}: 'images' must be a list of addresses")
    return ProductContent(
        slug=slug,
        name=_require(raw, "name", str, where),
        description=_require(raw, "description", str, where),
        price_cents=price_cents,
        stock=stock,
        images=tuple(images),
    )


def _parse_page(raw: dict, position: int, where: str) -> PageContent:
    slug = _require(raw, "slug", str, where)
    where = f"{where} '{slug}'"
    problem = slug_problem(slug)
    if problem:
        raise SiteTemplateError(f"{where}: bad slug, {problem}")
    blocks = _require(raw, "blocks", list, where)
    problems = validate_blocks(blocks)
    if problems:
        raise SiteTemplateError(f"{where}: {problems[0]}")
    return PageContent(
        slug=slug,
        title=_require(raw, "title", str, where),
        position=position,
        in_navigation=_require(raw, "in_navigation", bool, where),
        published=_require(raw, "published", bool, where),
        blocks=tuple(Block(block["type"], block["data"], block.get("placeholder") is True)
                     for block in blocks),
    )


def _unique(slugs: list[str], where: str) -> None:
    seen = set()
    for slug in slugs:
        if slug in seen:
            raise SiteTemplateError(f"{where} '{slug}': duplicate slug")
        seen.add(slug)


def _check_links(pages: tuple[PageContent, ...], has_products: bool, where: str) -> None:
    """Every block's links inside the site lead to a page of this template or a listing."""
    targets = {"/", "/blog"} | {f"/{page.slug}" for page in pages}
    if has_products:
        targets.add("/shop")
    for page in pages:
        for number, block in enumerate(page.blocks, start=1):
            at = f"{where}: page '{page.slug}': Block {number} ({block.type})"
            if block.type == "products" and not has_products:
                raise SiteTemplateError(f"{at}: a products block needs products in the template")
            for link in (block.data.get(field, "") for field in LINK_FIELDS):
                if link.startswith("/") and link not in targets:
                    raise SiteTemplateError(f"{at}: '{link}' is not a page of this template")


def parse_site_template(template_id: str, raw: dict) -> SiteTemplateContent:
    """Build and check a template's content from its parsed JSON."""
    where = f"{TEMPLATE_DIR.name}/{template_id}.json"
    pages_raw = _require(raw, "pages", list, where)
    pages = tuple(
        _parse_page(page, position, f"{where}: page") for position, page in enumerate(pages_raw)
    )
    _unique([page.slug for page in pages], f"{where}: page")
    if not any(page.slug == HOME_SLUG and page.published for page in pages):
        raise SiteTemplateError(f"{where}: needs a published page with slug '{HOME_SLUG}'")
    products_raw = raw.get("products", [])
    if not isinstance(products_raw, list):
        raise SiteTemplateError(f"{where}: 'products' must be a list")
    products = tuple(_parse_product(product, f"{where}: product") for product in products_raw)
    _unique([product.slug for product in products], f"{where}: product")
    _check_links(pages, bool(products), where)
    return SiteTemplateContent(
        id=template_id,
        name=_require(raw, "name", str, where),
        settings=_parse_settings(_require(raw, "settings", dict, where), where),
        pages=pages,
        products=products,
    )


@cache
def load_site_template(template_id: str) -> SiteTemplateContent:
    if template_id not in TEMPLATE_IDS:
        raise SiteTemplateError(
            f"unknown site template '{template_id}' (expected one of {', '.join(TEMPLATE_IDS)})"
        )
    path = TEMPLATE_DIR / f"{template_id}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SiteTemplateError(f"cannot read site template {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise SiteTemplateError(f"site template {path} is not valid JSON: {exc}") from exc
    return parse_site_template(template_id, raw)
