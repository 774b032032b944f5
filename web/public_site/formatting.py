"""Small helpers the site templates call: plain text to paragraphs, dates, product images."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import format_date

from db.models import Product
from tenants import time_zones

_BLANK_LINE = re.compile(r"\n\s*\n")


def paragraphs(text) -> list[str]:
    """Plain text split on blank lines; the template escapes each paragraph."""
    if not isinstance(text, str):
        return []
    return [part.strip() for part in _BLANK_LINE.split(text) if part.strip()]


def local_date(moment: datetime, time_zone: str | None = None) -> date:
    """The day of ``moment`` in the site's time zone (UTC without one)."""
    return time_zones.to_local(moment, time_zone).date() if time_zone else moment.date()


def long_date(moment: datetime, time_zone: str | None = None) -> str:
    """The day of ``moment`` in the page's language (Babel's long format: '7 maart 2025',
    'March 7, 2025', '7. März 2025'), in the site's time zone when one is given."""
    return format_date(local_date(moment, time_zone), "long")


def product_image(product: Product) -> str | None:
    """The first image when it is a path on the site itself (the CSP allows only those)."""
    image = product.images[0] if product.images else None
    on_site = isinstance(image, str) and image.startswith("/") and not image.startswith("//")
    return image if on_site else None
