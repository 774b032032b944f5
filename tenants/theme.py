"""A tenant's own look: colours, font pairing, tagline, logo and favicon, kept in
``Tenant.site_settings`` and checked here before they are saved.

Text on the site is white or near-black, whichever reads better (``readable_on``), so the
owner picks only the colours behind it. A combination is refused when even the better of the
two does not reach ``MIN_TEXT_CONTRAST`` (WCAG AA for body text) on the background, on the
primary colour (buttons, header band, footer) or on the accent colour (accent buttons).
Only a colour the owner changes is checked, so a template's own colours can always be kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

from db.messages import N_, Message
from db.models import MediaFile, Tenant
from db.refusals import Refused
from tenants.scope import get_scoped
from tenants.site_content import COLOR_PATTERN, FONTS, TEMPLATE_IDS, load_site_template

LIGHT_TEXT = "#ffffff"
DARK_TEXT = "#16181d"
MIN_TEXT_CONTRAST = 4.5  # WCAG AA for body text
MAX_TAGLINE_LENGTH = 160
COLOR_KEYS = ("primary_color", "accent_color", "background_color")
IMAGE_KEYS = ("logo_media_id", "favicon_media_id")
# What "reset to the template's defaults" gives back; the logo and favicon are the owner's own.
TEMPLATE_KEYS = (*COLOR_KEYS, "font", "tagline")
# Each colour text sits on, in words: (the pair, as the portal lists its contrast; the refusal
# when no text is readable on it).
SURFACES = {
    "background_color": (
        N_("Body text on the background colour"),
        N_("Body text on the background colour would have a contrast of only %(ratio)s; it "
           "needs at least %(minimum)s:1 to be readable. Choose a lighter or darker background "
           "colour.")),
    "primary_color": (
        N_("Button text on the primary colour"),
        N_("Button text on the primary colour would have a contrast of only %(ratio)s; it "
           "needs at least %(minimum)s:1 to be readable. Choose a lighter or darker primary "
           "colour.")),
    "accent_color": (
        N_("Button text on the accent colour"),
        N_("Button text on the accent colour would have a contrast of only %(ratio)s; it needs "
           "at least %(minimum)s:1 to be readable. Choose a lighter or darker accent colour.")),
}


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


def ratio_label(ratio: float) -> str:
    """4.49 -> '4.4:1': rounded down, so a refused ratio never reads as enough."""
    return f"{math.floor(ratio * 10) / 10:.1f}:1"


@dataclass(frozen=True)
class ThemeChoice:
    """What the owner chose, as entered: colours as text, media ids as text ("" for none)."""
    primary_color: str
    accent_color: str
    background_color: str
    font: str
    tagline: str
    logo_media_id: str = ""
    favicon_media_id: str = ""


def _color(value: str, field: str) -> str:
    value = (value or "").strip()
    if not COLOR_PATTERN.match(value):
        raise Refused(N_("Enter a colour as # and six hexadecimal digits, like #1f3a5f."), field)
    return value.lower()


def _image_id(session: Session, tenant: Tenant, value: str, field: str) -> int | None:
    value = (value or "").strip()
    if value in ("", "none"):
        return None
    row = get_scoped(session, MediaFile, tenant.id, value) if value.isdigit() else None
    if row is None or not row.content_type.startswith("image/"):
        raise Refused(N_("Choose one of the images in your media library, or none."), field)
    return row.id


def _tagline(value: str) -> str:
    value = " ".join((value or "").split())  # one line: no control characters or line breaks
    if len(value) > MAX_TAGLINE_LENGTH:
        raise Refused(Message(N_("Keep the tagline to %(limit)s characters at most (it has "
                                 "%(length)s)."), limit=MAX_TAGLINE_LENGTH, length=len(value)),
                      "tagline")
    return value


def current_colors(tenant: Tenant) -> dict[str, str]:
    """The colours the site shows now: the tenant's own where valid, else the template's."""
    template = tenant.template if tenant.template in TEMPLATE_IDS else TEMPLATE_IDS[0]
    defaults = load_site_template(template).settings
    chosen = tenant.site_settings if isinstance(tenant.site_settings, dict) else {}
    colors = {}
    for key in COLOR_KEYS:
        value = chosen.get(key)
        valid = isinstance(value, str) and COLOR_PATTERN.match(value)
        colors[key] = value if valid else getattr(defaults, key)
    return colors


def contrast_problem(colors: dict[str, str], kept: dict[str, str] | None = None) -> Refused | None:
    """The first colour that no text can be read on, as a refusal naming the pair and ratio;
    a colour equal to its value in ``kept`` (what the site shows now) is not checked."""
    for key, (_pair, refusal) in SURFACES.items():
        if kept and colors[key].lower() == kept[key].lower():
            continue
        ratio = contrast(colors[key], readable_on(colors[key]))
        if ratio < MIN_TEXT_CONTRAST:
            return Refused(Message(refusal, ratio=ratio_label(ratio),
                                   minimum=MIN_TEXT_CONTRAST), key)
    return None


def save_theme(session: Session, tenant: Tenant, choice: ThemeChoice) -> None:
    """Check every value, then save them all in ``tenant.site_settings``; raises ``Refused``
    (nothing saved) for a malformed colour, an unknown font, a too long tagline, an image
    that is not one of the tenant's own, or an unreadable combination of colours. Flushes."""
    colors = {key: _color(getattr(choice, key), key) for key in COLOR_KEYS}
    if choice.font not in FONTS:
        raise Refused(Message(N_("Choose one of the font pairings (%(fonts)s)."),
                              fonts=", ".join(FONTS)), "font")
    tagline = _tagline(choice.tagline)
    images = {key: _image_id(session, tenant, getattr(choice, key), key) for key in IMAGE_KEYS}
    problem = contrast_problem(colors, kept=current_colors(tenant))
    if problem is not None:
        raise problem
    settings = dict(tenant.site_settings or {})
    settings.update(colors, font=choice.font, tagline=tagline)
    for key, media_id in images.items():
        if media_id is None:
            settings.pop(key, None)
        else:
            settings[key] = media_id
    tenant.site_settings = settings  # a new dict: SQLAlchemy sees the change
    session.flush()


def reset_theme(session: Session, tenant: Tenant) -> None:
    """Colours, font and tagline back to the site template's; the logo and favicon stay."""
    defaults = load_site_template(tenant.template, tenant.language).settings.as_dict(tenant.company)
    settings = dict(tenant.site_settings or {})
    settings.update({key: defaults[key] for key in TEMPLATE_KEYS})
    tenant.site_settings = settings
    session.flush()
