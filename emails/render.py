"""Render a mail from ``templates/<mail_name>/{subject.txt,body.txt,body.html}`` in the
recipient's language.

The templates are translated with Jinja's i18n extension (``_()``/``gettext``/``ngettext``,
newstyle: named placeholders, escaped in HTML) from Babel's compiled catalogs in
``db.languages.TRANSLATIONS``, the ones Flask-Babel serves the web with. Money and dates go
through the ``money``, ``date`` and ``datetime`` filters: Babel's formats for the language,
dates and times in the tenant's time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from babel.numbers import format_currency
from babel.support import Translations
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from markupsafe import Markup

from db.languages import SITE_LANGUAGES, TRANSLATIONS, UI_LANGUAGES, ui_language
from db.messages import N_
from emails.order_words import ORDER_WORDS

DEFAULT_TIME_ZONE = "Europe/Amsterdam"
SOURCE_LANGUAGE = "en"  # the templates' own words (the msgids)
DATE_FORMAT = "d MMMM y"  # "7 maart 2025", "7 March 2025"
TIME_FORMAT = "HH:mm"


# The words of the shared layout (templates/_base/), translated there with ``_(words.hello)``:
# the message extractor skips folders whose name starts with "_", so they are marked here.
WORDS = {
    "hello": N_("Hello,"),
    "regards": N_("Best regards,"),
    "team": N_("The Contyzr team"),
    "no_button": N_(
        "If the button doesn't work, copy this link into your browser:"),
    # The payment method in the billing mails (templates/_base/payment.txt).
    "sepa_failed": N_(
        "Your bank did not pay the SEPA Direct Debit of %(amount)s for %(company)s from "
        "the account ending in %(last4)s. This usually means there was not enough money "
        "in the account, or the bank refused the direct debit."),
    "card_failed": N_(
        "We couldn't charge %(amount)s for %(company)s to your %(brand)s card ending in "
        "%(last4)s. This usually means the card has expired or the bank declined the "
        "charge."),
    "payment_failed": N_(
        "We couldn't collect the latest payment of %(amount)s for %(company)s. This "
        "usually means the card has expired or the bank declined the charge."),
    "card_confirm": N_(
        "Your bank wants you to confirm the payment of %(amount)s for %(company)s with "
        "your %(brand)s card ending in %(last4)s before it goes through. It only takes a "
        "moment on the invoice's page."),
    "confirm": N_(
        "Your bank wants you to confirm the payment of %(amount)s for %(company)s before "
        "it goes through. It only takes a moment on the invoice's page."),
    "change_sepa": N_(
        "To pay from another account or by card, update your payment method in billing:"),
    "change_card": N_(
        "To pay with a different card, update your payment method in billing:"),
    "suspended_sepa": N_(
        "We've suspended the site for %(company)s because the SEPA Direct Debit from your"
        " account ending in %(last4)s failed and the invoice is still unpaid, so visitors"
        " can't reach it at the moment. Your content is safe."),
    "suspended_card": N_(
        "We've suspended the site for %(company)s because the charge to your card ending "
        "in %(last4)s failed and the invoice is still unpaid, so visitors can't reach it "
        "at the moment. Your content is safe."),
    "suspended": N_(
        "We've suspended the site for %(company)s because its invoice is still unpaid, so"
        " visitors can't reach it at the moment. Your content is safe."),
}


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str
    reply_to: str | None = None  # where the recipient's reply goes (the sender's address)
    from_name: str | None = None  # the sender's name when not the platform's (a shop's mails)


def format_money(amount_cents: int, currency: str, language: str = SOURCE_LANGUAGE) -> str:
    """``(7900, "eur")`` → ``"€79.00"`` (en), ``"€ 79,00"`` (nl, a no-break space); a code
    shown as letters is spaced from the number: ``"CHF 79.00"``."""
    shown = format_currency(Decimal(int(amount_cents)) / 100, currency.upper(),
                            locale=ui_language(language))
    return re.sub(r"(?<=[A-Za-z])(?=[-\d])", " ", shown)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def _moment(value: Any) -> date | datetime | None:
    """A date or datetime, from itself or its ISO text (as the outbox stores it)."""
    if isinstance(value, date):
        return value
    try:
        text = str(value)
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        return None


def _local(moment: datetime, time_zone: str | None) -> datetime:
    if moment.tzinfo is None:  # the database's datetimes are naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone(time_zone))


@pass_context
def _date_filter(context, value: Any) -> str:
    """A day written out ("7 maart 2025"); a datetime's day in the tenant's time zone; text
    that is no date is shown as it is."""
    moment = _moment(value)
    if moment is None:
        return str(value)
    if isinstance(moment, datetime):
        moment = _local(moment, context.get("time_zone")).date()
    return babel_date(moment, DATE_FORMAT, locale=context.get("language"))


@pass_context
def _datetime_filter(context, value: Any) -> str:
    """A day and time in the tenant's time zone ("5 december 2026 22:00")."""
    moment = _moment(value)
    if not isinstance(moment, datetime):
        return _date_filter(context, value)
    local, language = _local(moment, context.get("time_zone")), context.get("language")
    return (f"{babel_date(local.date(), DATE_FORMAT, locale=language)} "
            f"{babel_time(local.time(), TIME_FORMAT, locale=language)}")


@pass_context
def _money_filter(context, cents: int, currency: str) -> str:
    return format_money(cents, currency, context.get("language") or SOURCE_LANGUAGE)


def _strong(value: Any) -> Markup:
    """A placeholder's value in bold (HTML mails: ``_("... %(company)s", company=x|strong)``)."""
    return Markup("<strong>{}</strong>").format(value)


def _link(url: str, label: Any = None) -> Markup:
    return Markup('<a href="{}" style="color:#2563eb;">{}</a>').format(
        url, url if label is None else label)


@cache
def _environment(language: str) -> Environment:
    environment = Environment(
        loader=PackageLoader("emails", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Babel falls back to the msgids (English) when a catalog is not compiled.
    environment.install_gettext_translations(
        Translations.load(str(TRANSLATIONS), [language]), newstyle=True)
    environment.filters.update(money=_money_filter, date=_date_filter,
                               datetime=_datetime_filter, strong=_strong, link=_link)
    environment.globals["words"] = {**WORDS, **ORDER_WORDS}
    return environment


def render(mail_name: str, language: str = SOURCE_LANGUAGE, time_zone: str | None = None,
           site_language: bool = False, **context: Any) -> RenderedMail:
    """Render the three parts of ``mail_name`` with ``context`` (from ``emails.mails``) in
    ``language`` (the recipient's; one the product does not speak falls back to Dutch, the
    default; with ``site_language``, a mail to a site's visitor, any language a site speaks)
    with dates in ``time_zone`` (the tenant's; Europe/Amsterdam when not given). A
    ``reply_to`` in the context is where replies go, a ``from_name`` whom the mail is from."""
    language = ui_language(language, languages=SITE_LANGUAGES if site_language else UI_LANGUAGES)
    values = {**context, "language": language, "time_zone": time_zone or DEFAULT_TIME_ZONE}
    environment = _environment(language)

    def part(file_name: str) -> str:
        return environment.get_template(f"{mail_name}/{file_name}").render(values)

    return RenderedMail(
        subject=" ".join(part("subject.txt").split()),
        text=part("body.txt"),
        html=part("body.html"),
        reply_to=context.get("reply_to"),
        from_name=context.get("from_name"),
    )
