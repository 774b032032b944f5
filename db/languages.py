"""The languages the product speaks, named once for every layer.

People (the storefront, the portal and the mails) are served in ``UI_LANGUAGES``; a tenant's
public site may be in any of ``SITE_LANGUAGES`` (several at once with the plan feature
``multi_language``). The first of each list is the default.
"""

from __future__ import annotations

from pathlib import Path

UI_LANGUAGES = ("nl", "en")
SITE_LANGUAGES = ("nl", "en", "de", "fr")
DEFAULT_LANGUAGE = "nl"
# Each in its own language, as a language switch shows it.
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English", "de": "Deutsch", "fr": "Français"}


# The Babel locale of each language's formats, where the bare language would not do: English
# as written in Europe ("16 January 2026", "€24.17"), not the United States' "January 16".
FORMAT_LOCALES = {"en": "en_GB"}


def format_locale(code: str) -> str:
    return FORMAT_LOCALES.get(code, code)


def ui_language(code: str | None, default: str = DEFAULT_LANGUAGE,
                languages: tuple[str, ...] = UI_LANGUAGES) -> str:
    """``code`` if the product speaks it (of ``languages``), else ``default``: an unknown code
    is never an error."""
    return code if code in languages else default


def in_sql(codes: tuple[str, ...]) -> str:
    """``'nl', 'en'``: the list as the CHECK constraints spell it."""
    return ", ".join(f"'{code}'" for code in codes)


# Babel's catalogs, one per language (``<code>/LC_MESSAGES/messages.po``), shared by the web
# layer (Flask-Babel) and the mails (emails/render.py); the install step compiles them.
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
