"""Template filters for showing money and limits to people."""

from __future__ import annotations

from flask import Flask

SYMBOLS = {"eur": "€", "usd": "$", "gbp": "£"}


def money(cents: int, currency: str = "eur") -> str:
    """2900 -> '€29', 7950 -> '€79.50', 199000 -> '€1,990'."""
    symbol = SYMBOLS.get(currency.lower(), currency.upper() + " ")
    whole, rest = divmod(int(cents), 100)
    amount = f"{whole:,}" if rest == 0 else f"{whole:,}.{rest:02d}"
    return f"{symbol}{amount}"


def storage(megabytes: int | None) -> str:
    if megabytes is None:
        return "Unlimited"
    if megabytes >= 1024 and megabytes % 1024 == 0:
        return f"{megabytes // 1024} GB"
    return f"{megabytes} MB"


def limit(value: int | None) -> str:
    return "Unlimited" if value is None else f"{value:,}"


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(storage)
    app.add_template_filter(limit)
