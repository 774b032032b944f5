"""The names of content's parts in the portal's language, shared by the editors."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

BLOCK_LABELS = {"hero": _l("Hero"), "text": _l("Text"), "features": _l("Features"),
                "testimonials": _l("Testimonials"), "cta": _l("Call to action"),
                "faq": _l("FAQ"), "contact_form": _l("Contact form"),
                "products": _l("Products"), "image": _l("Image"),
                "image_with_text": _l("Image with text")}


def block_label(block_type: str):
    """The block type's name in the active language (lazy: forms are built once)."""
    return BLOCK_LABELS.get(block_type, block_type.capitalize())
