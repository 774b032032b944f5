"""A tenant site's look: the template's settings, overridden by the tenant's own choices.

The storefront's CSP allows only same-origin stylesheets, so the colours and the font go into
a small per-tenant stylesheet (``/theme.css`` on the tenant's host) of CSS custom properties.
Every value in it is checked against a pattern or picked from a fixed list.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from db.models import Tenant
from tenants.site_content import (
    COLOR_PATTERN,
    FONTS,
    TEMPLATE_IDS,
    load_site_template,
    personalise,
)

FONT_STACKS = {
    "sans": 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    "serif": '"Iowan Old Style", "Palatino Linotype", Palatino, Georgia, Cambria, serif',
}
LIGHT_TEXT = "#ffffff"
DARK_TEXT = "#16181d"
MIN_TEXT_CONTRAST = 4.5  # WCAG AA for body text


def _luminance(color: str) -> float:
    """Relative luminance of a #rrggbb colour (WCAG 2)."""
    channels = []
    for start in (1, 3, 5):
        value = int(color[start:start + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours, from 1 to 21."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_on(color: str) -> str:
    """White or near-black, whichever contrasts more with ``color``."""
    return DARK_TEXT if contrast(color, DARK_TEXT) >= contrast(color, LIGHT_TEXT) else LIGHT_TEXT


@dataclass(frozen=True)
class Theme:
    name: str  # the site template, also the body's ``theme-<name>`` class
    primary_color: str
    accent_color: str
    background_color: str
    font: str
    tagline: str

    @property
    def css(self) -> str:
        ink = readable_on(self.background_color)
        primary_reads = contrast(self.primary_color, self.background_color) >= MIN_TEXT_CONTRAST
        variables = {
            "primary": self.primary_color,
            "on-primary": readable_on(self.primary_color),
            "accent": self.accent_color,
            "on-accent": readable_on(self.accent_color),
            "bg": self.background_color,
            "ink": ink,
            "link": self.primary_color if primary_reads else ink,
            "font": FONT_STACKS[self.font],
        }
        lines = "".join(f"  --{name}: {value};\n" for name, value in variables.items())
        return f":root {{\n{lines}}}\n"

    @property
    def version(self) -> str:
        """Changes whenever the stylesheet does, so browsers may cache it for long."""
        return hashlib.sha256(self.css.encode()).hexdigest()[:12]


def site_theme(tenant: Tenant) -> Theme:
    name = tenant.template if tenant.template in TEMPLATE_IDS else TEMPLATE_IDS[0]
    defaults = load_site_template(name).settings
    chosen = tenant.site_settings if isinstance(tenant.site_settings, dict) else {}

    def color(key: str) -> str:
        value = chosen.get(key)
        valid = isinstance(value, str) and COLOR_PATTERN.match(value)
        return value if valid else getattr(defaults, key)

    tagline = chosen.get("tagline")
    if not isinstance(tagline, str):
        tagline = personalise(defaults.tagline, tenant.company)
    return Theme(
        name=name,
        primary_color=color("primary_color"),
        accent_color=color("accent_color"),
        background_color=color("background_color"),
        font=chosen["font"] if chosen.get("font") in FONTS else defaults.font,
        tagline=tagline,
    )
