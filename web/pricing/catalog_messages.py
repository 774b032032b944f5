"""The plan catalog's words (plans/plans.toml), marked for translation.

The catalog is data, so the extractor cannot see its labels. They are repeated here with
``N_`` (English, exactly as in plans.toml); the templates show them through ``translated``,
which looks the English text up in the active language's catalog. Plan names are brands and
stay as they are. tests/test_translations.py fails when plans.toml has a label, tagline or
template name that is not listed here, so a new feature cannot go untranslated.
"""

from __future__ import annotations

from db.messages import N_

FEATURES = (
    N_("Website builder"),
    N_("Blog"),
    N_("Contact forms"),
    N_("Webshop"),
    N_("Custom domain"),
    N_("Multi-language sites"),
    N_("AI writing assistant"),
)

LIMITS = (
    N_("Pages"),
    N_("Team members"),
    N_("Media storage"),
    N_("Products"),
    N_("API requests per minute"),
    N_("AI requests per month"),
)

TEMPLATES = (
    N_("Corporate"),
    N_("Portfolio"),
    N_("Blog"),
    N_("Webshop"),
    N_("B2B shop"),
)

TAGLINES = (
    N_("A professional website for a small business."),
    N_("Sell online, on your own domain."),
    N_("Every feature, for teams running several markets."),
)

COUPONS = (
    N_("10% off the first payment"),
    N_("50% off for 3 months"),
)
