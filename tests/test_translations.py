"""The translation checks: every message in the code has a Dutch translation, and the
templates show no English outside a translation call."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
DUTCH = ROOT / "translations/nl/LC_MESSAGES/messages.po"

# Every template a person reads: the web's (storefront, portal, tenant sites) and the mails'.
TEMPLATES = sorted(str(path.relative_to(ROOT)) for path in (
    *ROOT.glob("web/**/templates/**/*.html"), *ROOT.glob("emails/templates/**/*.*")))
ALLOWED = {"Contyzr", "Stripe", "Nederlands", "English"}  # brands; each language's own name


def extracted_messages() -> dict[str, str]:
    """msgid -> "file:line" of every message the extractor finds (babel.cfg)."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for filename, line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, f"{filename}:{line}")
    return found


def untranslated(messages: dict[str, str], po_path: Path) -> list[str]:
    with open(po_path, "rb") as po:
        catalog = read_po(po)
    problems = []
    for msgid, where in sorted(messages.items(), key=lambda item: item[1]):
        entry = catalog.get(msgid)
        strings = entry.string if entry is not None and isinstance(entry.string, tuple) \
            else (entry.string if entry is not None else "",)
        if entry is None or entry.fuzzy or not all(strings):
            problems.append(f"{where}: {msgid!r}")
    return problems


def test_every_message_has_a_dutch_translation():
    messages = extracted_messages()
    assert "Choose %(plan)s" in messages  # the extractor does see the templates
    assert "Reset your Contyzr password" in messages  # and the mails: subject.txt,
    assert "Please pay the open invoice here:" in messages  # body.txt,
    assert "Open the inbox" in messages  # body.html
    assert "Best regards," in messages  # and their layout's words (emails/render.py)
    assert untranslated(messages, DUTCH) == []


# Tenant sites also speak German and French (SITE_LANGUAGES): their chrome, the contact
# form's refusals, the cart's words and the shop's mails to its buyers need those too.
SITE_SOURCES = ("web/public_site/", "tenants/contact.py", "tenants/cart.py", "tenants/shop.py",
                "emails/order_words.py", "emails/templates/order_confirmation/",
                "emails/templates/order_shipped/", "emails/templates/order_out_of_stock/")


def site_messages() -> dict[str, str]:
    """msgid -> "file:line" of every message extracted from the tenant sites' code."""
    with open(ROOT / "babel.cfg") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for filename, line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        if filename.replace("\\", "/").startswith(SITE_SOURCES):
            found.setdefault(message[0] if isinstance(message, tuple) else message,
                             f"{filename}:{line}")
    return found


def test_every_message_of_the_sites_has_a_german_and_a_french_translation():
    messages = site_messages()
    assert "In stock" in messages and "Please fill in your name." in messages
    for language in ("de", "fr"):
        assert untranslated(messages, ROOT / f"translations/{language}/LC_MESSAGES/messages.po") \
            == [], language


def test_the_catalogs_words_are_marked_for_translation():
    """plans.toml is data: its labels, taglines and template names must be listed in
    web/pricing/catalog_messages.py, or they would show in English."""
    catalog = tomllib.loads((ROOT / "plans/plans.toml").read_text())
    words = [*catalog["features"].values(), *catalog["limits"].values(),
             *(t["name"] for t in catalog["templates"].values()),
             *(plan["tagline"] for plan in catalog["plans"]),
             *(coupon["name"] for coupon in catalog.get("coupons", {}).values())]
    messages = extracted_messages()
    assert [word for word in words if word not in messages] == []


STRIP = [
    re.compile(r"\{#.*?#\}", re.S),  # comments
    # blocks that fill in an attribute, not text (base.html: <main class="{% block ... %}">)
    re.compile(r"\{%-?\s*block main_class\s*-?%\}.*?\{%-?\s*endblock\s*-?%\}", re.S),
    re.compile(r"<!doctype[^>]*>", re.I),
    re.compile(r"\{%.*?%\}", re.S),  # statements
    re.compile(r"\{\{.*?\}\}", re.S),  # expressions, translation calls among them
]
TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>", re.S)
ATTRIBUTE = re.compile(r"""([a-zA-Z-]+)\s*=\s*("[^"]*"|'[^']*')""")
SHOWN_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "value", "content"}


def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))  # keep the line numbers


def visible_english(source: str) -> list[tuple[int, str]]:
    """(line, text) of every piece of text a person sees that is not a translation call."""
    for pattern in STRIP:
        source = pattern.sub(_blank, source)
    source = re.sub(r"<(script|style)\b.*?</\1>", _blank, source, flags=re.S)
    found = []

    def report(position: int, text: str):
        words = [w for w in re.findall(r"[^\W\d_][\w'-]*", text) if w not in ALLOWED]
        if words:
            found.append((source.count("\n", 0, position) + 1, " ".join(text.split())))

    last = 0
    for tag in TAG.finditer(source):
        report(last, source[last:tag.start()])
        name, attributes = tag.group(2).lower(), tag.group(3)
        for attribute in ATTRIBUTE.finditer(attributes):
            key, value = attribute.group(1).lower(), attribute.group(2)[1:-1]
            if key not in SHOWN_ATTRIBUTES:
                continue
            if key == "value" and not (name == "button" or 'type="submit"' in attributes
                                       or 'type="button"' in attributes):
                continue
            if key == "content" and "description" not in attributes:
                continue
            report(tag.start(), value)
        last = tag.end()
    report(last, source[last:])
    return found


def test_templates_show_no_english_outside_translation_calls():
    assert len(TEMPLATES) > 80  # the glob does find them
    problems = [f"{path}:{line}: {text}" for path in TEMPLATES
                for line, text in visible_english((ROOT / path).read_text())]
    assert problems == []


def test_the_template_check_sees_english_text_and_attributes():
    source = ('{% block x %}<p>{{ _("Fine") }}</p>\n<p>Plain English</p>'
              '<img alt="A photo"><a title="{{ _(\'ok\') }}">Contyzr</a>{# note #}')
    assert visible_english(source) == [(2, "Plain English"), (2, "A photo")]


def test_the_dutch_check_sees_a_missing_translation(tmp_path):
    po = tmp_path / "messages.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
                  'msgid "Pricing"\nmsgstr "Prijzen"\n\nmsgid "Sign in"\nmsgstr ""\n\n'
                  '#, fuzzy\nmsgid "Sign out"\nmsgstr "Uitloggen"\n')
    problems = untranslated({"Pricing": "a:1", "Sign in": "b:2", "Sign out": "c:3",
                             "Portal": "d:4"}, po)
    assert problems == ["b:2: 'Sign in'", "c:3: 'Sign out'", "d:4: 'Portal'"]
