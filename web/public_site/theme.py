"""A tenant site's look: the template's settings, overridden by the tenant's own choices.

The storefront's CSP allows only same-origin stylesheets, so the colours and the fonts go into
a small per-tenant stylesheet (``/theme.css`` on the tenant's host) of CSS custom properties.
Every value in it is checked against a pattern or picked from a fixed list. The fonts are
pairings of system font stacks (the CSP allows no web fonts from other hosts). The logo and
favicon are the tenant's own uploaded images, served from its site (``/media/...``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session

from db.messages import N_
from db.models import MediaFile, Tenant
from plans.entitlements import kept
from tenants.scope import scoped
from tenants.site_content import (
    FONTS,
    TEMPLATE_IDS,
    load_site_template,
    personalise,
)
from tenants.theme import (  # noqa: F401  (contrast and readable_on are used from here too)
    DARK_TEXT,
    LIGHT_TEXT,
    MIN_TEXT_CONTRAST,
    contrast,
    current_colors,
    readable_on,
)
from worker.services import services

SANS = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
SERIF = '"Iowan Old Style", "Palatino Linotype", Palatino, Georgia, Cambria, serif'
ROUNDED = ('ui-rounded, "SF Pro Rounded", "Hiragino Maru Gothic ProN", Quicksand, Comfortaa, '
           'Manjari, "Arial Rounded MT", "Arial Rounded MT Bold", Calibri, source-sans-pro, '
           'sans-serif')


@dataclass(frozen=True)
class FontPairing:
    label: str  # English, marked: shown with ``web.i18n.translated``
    heading: str  # a font stack of the visitor's own fonts: the CSP allows no other host
    body: str


# Keyed by tenants.site_content.FONTS, in the order the portal offers them.
FONT_PAIRINGS = {
    "sans": FontPairing(N_("Sans: clean and plain"), SANS, SANS),
    "serif": FontPairing(N_("Serif: classic, like a book"), SERIF, SERIF),
    "modern": FontPairing(N_("Modern: serif headings, sans body text"), SERIF, SANS),
    "friendly": FontPairing(N_("Friendly: rounded letters"), ROUNDED, ROUNDED),
}
assert tuple(FONT_PAIRINGS) == FONTS, "every font id needs its pairing, in the same order"
FONT_STACKS = {font: pairing.body for font, pairing in FONT_PAIRINGS.items()}


@dataclass(frozen=True)
class SiteImage:
    """The tenant's logo or favicon: an uploaded image, at its own address on the site."""
    src: str
    width: int | None
    height: int | None
    content_type: str


@dataclass(frozen=True)
class Theme:
    name: str  # the site template, also the body's ``theme-<name>`` class
    primary_color: str
    accent_color: str
    background_color: str
    font: str
    tagline: str
    logo: SiteImage | None = None
    favicon: SiteImage | None = None

    @property
    def variables(self) -> dict[str, str]:
        """The CSS custom properties of this look, by name without the leading ``--``."""
        ink = readable_on(self.background_color)
        primary_reads = contrast(self.primary_color, self.background_color) >= MIN_TEXT_CONTRAST
        return {
            "primary": self.primary_color,
            "on-primary": readable_on(self.primary_color),
            "accent": self.accent_color,
            "on-accent": readable_on(self.accent_color),
            "bg": self.background_color,
            "ink": ink,
            "link": self.primary_color if primary_reads else ink,
            "font": FONT_PAIRINGS[self.font].body,
            "font-body": FONT_PAIRINGS[self.font].body,
            "font-heading": FONT_PAIRINGS[self.font].heading,
        }

    def rule(self, selector: str) -> str:
        lines = "".join(f"  --{name}: {value};\n" for name, value in self.variables.items())
        return f"{selector} {{\n{lines}}}\n"

    @property
    def css(self) -> str:
        return self.rule(":root")

    @property
    def version(self) -> str:
        """Changes whenever the stylesheet does, so browsers may cache it for long."""
        return hashlib.sha256(self.css.encode()).hexdigest()[:12]


def _images(session: Session, tenant: Tenant, chosen: dict) -> dict[str, SiteImage]:
    """The logo and favicon the tenant chose, when they are still its images and within its
    plan's storage (the site serves no other files)."""
    ids = {key: chosen.get(f"{key}_media_id") for key in ("logo", "favicon")}
    wanted = {value for value in ids.values() if type(value) is int and 0 < value < 2**31}
    if not wanted:
        return {}
    plan = services().catalog.plan(tenant.plan_id)
    limit = plan.limit("media_mb") if plan is not None else 0
    rows = {row.id: row for row in session.scalars(scoped(MediaFile, tenant.id).where(
        MediaFile.id.in_(wanted), MediaFile.content_type.startswith("image/"),
        kept("media_mb", tenant.id, limit)))}
    return {key: SiteImage(f"/media/{row.storage_name}", row.width, row.height, row.content_type)
            for key, value in ids.items() if (row := rows.get(value)) is not None}


def site_theme(tenant: Tenant, session: Session) -> Theme:
    """The look of the tenant's site; its logo and favicon are looked up in ``session``."""
    name = tenant.template if tenant.template in TEMPLATE_IDS else TEMPLATE_IDS[0]
    defaults = load_site_template(name, tenant.language).settings  # the default language's
    chosen = tenant.site_settings if isinstance(tenant.site_settings, dict) else {}
    tagline = chosen.get("tagline")
    if not isinstance(tagline, str):
        tagline = personalise(defaults.tagline, tenant.company)
    return Theme(
        name=name,
        **current_colors(tenant),
        font=chosen["font"] if chosen.get("font") in FONTS else defaults.font,
        tagline=tagline,
        **_images(session, tenant, chosen),
    )
