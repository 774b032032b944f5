"""Template filters for showing money, numbers, limits and dates to people, in the active
language's formats (Babel): "€ 1.990" and "2 januari 2027" in Dutch, "€1,990" in English."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency
from flask import Flask
from flask_babel import format_date, format_decimal, format_percent, get_locale, gettext

from tenants.products import euros as product_euros


def money(cents: int, currency: str = "eur") -> str:
    """2900 -> '€ 29' (nl) / '€29' (en); cents only when there are any: '€ 79,50' / '€79.50'."""
    cents = int(cents)
    locale = get_locale()
    amount = Decimal(cents) / 100
    if cents % 100:
        return format_currency(amount, currency.upper(), locale=locale)
    # The locale's own pattern without its decimals ("¤ #,##0.00" -> "¤ #,##0").
    pattern = locale.currency_formats["standard"].pattern.replace(".00", "")
    return format_currency(amount, currency.upper(), format=pattern, locale=locale,
                           currency_digits=False)


def per_month(cents: int) -> int:
    """A yearly price's share per month in whole cents, rounded half up: 29000 -> 2417."""
    return int((Decimal(int(cents)) / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def number(value: int | float) -> str:
    return format_decimal(value)


def storage(megabytes: int | None) -> str:
    if megabytes is None:
        return gettext("Unlimited")
    if megabytes >= 1024 and megabytes % 1024 == 0:
        return gettext("%(amount)s GB", amount=format_decimal(megabytes // 1024))
    return gettext("%(amount)s MB", amount=format_decimal(megabytes))


def limit(value: int | None) -> str:
    return gettext("Unlimited") if value is None else format_decimal(value)


def country(code: str | None) -> str:
    """An ISO country code in the active language: 'BE' -> 'België' (nl) / 'Belgium' (en)."""
    code = str(code or "").upper()
    return get_locale().territories.get(code, code)


def percent(value) -> str:
    """A percentage number in the active language: 21 -> '21%', 25.5 -> '25,5%' (nl)."""
    return format_percent(Decimal(str(value)) / 100, "#,##0.#%")


def euros(cents: int) -> str:
    """An amount as a form field shows it for typing: 1990 -> '19.90'."""
    return product_euros(cents)


def date(value, format: str = "long") -> str:  # noqa: A002  (Babel's own name for it)
    """A date (or the day of a datetime, in the request's time zone): '2 januari 2027'."""
    return format_date(value, format)


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(per_month)
    app.add_template_filter(number)
    app.add_template_filter(storage)
    app.add_template_filter(limit)
    app.add_template_filter(date)
    app.add_template_filter(country)
    app.add_template_filter(percent)
    app.add_template_filter(euros)
