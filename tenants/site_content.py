"""Starter content for each site template, read from ``site_templates/<language>/<id>.json``
and validated.

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

from db.languages import SITE_LANGUAGES
from db.messages import N_, Message

TEMPLATE_DIR = Path(__file__).with_name("site_templates")
TEMPLATE_IDS = ("corporate", "portfolio", "blog", "ecommerce", "b2b")
COMPANY_PLACEHOLDER = "{company}"
HOME_SLUG = "home"
RESERVED_SLUGS = frozenset({"shop", "blog", "media", "cart"})  # listings, files, the cart
RESERVED_SLUG_PROBLEMS = {"shop": N_("'/shop' is kept for the site's shop."),
                          "blog": N_("'/blog' is kept for the site's blog."),
                          "media": N_("'/media' is kept for the site's media."),
                          "cart": N_("'/cart' is kept for the shop's cart.")}
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
            return N_("'items' must be a non-empty list.")
        for number, item in enumerate(value, start=1):
            if not isinstance(item, dict):
                return Message(N_("Item %(number)s must be an object."), number=number)
            for name in ITEM_FIELDS[block_type]:
                if not isinstance(item.get(name), str):
                    return Message(N_("Item %(number)s is missing the text field '%(name)s'."),
                                   number=number, name=name)
        return None
    if field == "limit":
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not whole or not 0 < value <= MAX_PRODUCTS_SHOWN:
            return Message(N_("'limit' must be a whole number from 1 to %(max)s."),
                           max=MAX_PRODUCTS_SHOWN)
        return None
    if field == "media_id":
        whole = isinstance(value, int) and not isinstance(value, bool)
        if value is not None and not (whole and 0 < value <= MAX_ID):
            return N_("'media_id' must be the number of one of your images.")
        return None
    if not isinstance(value, str):
        return Message(N_("'%(field)s' must be text."), field=field)
    if field in LINK_FIELDS and not is_safe_link(value):
        return Message(N_("'%(field)s' must start with %(prefixes)s."), field=field,
                       prefixes=", ".join(LINK_PREFIXES))
    if field == "image_side" and value not in IMAGE_SIDES:
        return Message(N_("'image_side' must be one of %(sides)s."), sides=", ".join(IMAGE_SIDES))
    return None


def _image_problems(data: dict) -> list[str]:
    """An image block's description: required for a chosen image unless it is decorative."""
    decorative = data.get("decorative", False)
    if not isinstance(decorative, bool):
        return [N_("'decorative' must be true or false.")]
    alt = data.get("alt")
    if decorative and alt:
        return [N_("A decorative image has no alt text.")]
    if decorative and data.get("link"):
        return [N_("A linked image needs alt text that says where the link goes.")]
    if data.get("media_id") is not None and not decorative and isinstance(alt, str) \
            and not alt.strip():
        return [N_("Add alt text that describes the image, or mark it as decorative.")]
    return []


def block_problems(block) -> list[str]:
    """What is wrong with one block, as sentences marked for translation (``db.messages``);
    empty when the block can be shown."""
    if not isinstance(block, dict) or not isinstance(block.get("data"), dict):
        return [N_("Must be an object with a 'type' and a 'data' object.")]
    block_type = block.get("type")
    if block_type not in BLOCK_FIELDS:
        return [Message(N_("Unknown block type %(type)s (expected one of %(types)s)."),
                        type=repr(block_type), types=", ".join(BLOCK_FIELDS))]
    data = block["data"]
    problems = []
    if not isinstance(block.get("placeholder", False), bool):
        problems.append(N_("'placeholder' must be true or false."))
    for field in BLOCK_FIELDS[block_type]:
        if field not in data:
            problems.append(Message(N_("Missing field '%(field)s'."), field=field))
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
        return [N_("The blocks must be a list.")]
    problems = []
    for number, block in enumerate(blocks, start=1):
        block_type = block.get("type") if isinstance(block, dict) else None
        label = f"Block {number}"
        if isinstance(block_type, str):
            label += f" ({block_type})"
        problems.extend(f"{label}: {problem[:1].lower()}{problem[1:].removesuffix('.')}."
                        for problem in block_problems(block))
    return problems


def slug_problem(slug) -> str | None:
    """Why this cannot be a page's address (a sentence marked for translation), or None."""
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        return N_("Use lowercase letters, digits and single hyphens.")
    if len(slug) > MAX_SLUG_LENGTH:
        return Message(N_("Use at most %(max)s characters."), max=MAX_SLUG_LENGTH)
    if slug in RESERVED_SLUGS:
        return RESERVED_SLUG_PROBLEMS[slug]
    if slug in SITE_LANGUAGES:
        return Message(N_("'/%(slug)s' is kept for the site in that language."), slug=slug)
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
    language: str = "en"


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


def parse_site_template(template_id: str, raw: dict, language: str = "en") -> SiteTemplateContent:
    """Build and check a template's content in one language from its parsed JSON."""
    where = f"{TEMPLATE_DIR.name}/{language}/{template_id}.json"
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
        language=language,
    )


# The languages the starter content is written in: one complete file per language and template
# (``site_templates/<language>/<id>.json``), each checked on its own because slugs and the links
# between pages differ per language ("/over-ons", "/about"). tests/tenants/test_site_content.py
# keeps every language's file the same shape as the English one.
STARTER_LANGUAGES = ("nl", "en")
STARTER_FALLBACK = "en"  # for a site language without starter text of its own (de, fr)


def starter_language(language: str | None) -> str:
    """The language a site in ``language`` gets its starter content in."""
    return language if language in STARTER_LANGUAGES else STARTER_FALLBACK


def template_path(template_id: str, language: str) -> Path:
    return TEMPLATE_DIR / language / f"{template_id}.json"


@cache
def load_site_template(template_id: str, language: str | None = STARTER_FALLBACK
                       ) -> SiteTemplateContent:
    """A template's starter content in ``language`` (English where there is none in it)."""
    if template_id not in TEMPLATE_IDS:
        raise SiteTemplateError(
            f"unknown site template '{template_id}' (expected one of {', '.join(TEMPLATE_IDS)})"
        )
    language = starter_language(language)
    path = template_path(template_id, language)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SiteTemplateError(f"cannot read site template {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise SiteTemplateError(f"site template {path} is not valid JSON: {exc}") from exc
    return parse_site_template(template_id, raw, language)
