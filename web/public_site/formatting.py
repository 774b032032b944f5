"""Small helpers the site templates call: plain text to paragraphs, dates, product images."""

from __future__ import annotations

import re
from datetime import datetime

from db.models import Product

_BLANK_LINE = re.compile(r"\n\s*\n")


def paragraphs(text) -> list[str]:
    """Plain text split on blank lines; the template escapes each paragraph."""
    if not isinstance(text, str):
        return []
    return [part.strip() for part in _BLANK_LINE.split(text) if part.strip()]


def long_date(moment: datetime) -> str:
    """'7 March 2025'."""
    return f"{moment.day} {moment:%B %Y}"


def product_image(product: Product) -> str | None:
    """The first image when it is a path on the site itself (the CSP allows only those)."""
    image = product.images[0] if product.images else None
    on_site = isinstance(image, str) and image.startswith("/") and not image.startswith("//")
    return image if on_site else None
