"""Stripe Tax as it computes for a seller registered for VAT in the Netherlands only.

A customer in NL pays Dutch VAT (21%); one elsewhere in the EU pays their own country's
standard rate, unless they are a business with a verified ``eu_vat`` number (reverse
charge, 0%); outside the EU the seller is not registered, so nothing is collected. Rates
are ``tax_rate`` objects, one per (country, percentage, inclusive), made on first use.
"""

import copy
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .errors import StripeError
from .store import Store, new_id
from .totals import line_discount

SELLER_COUNTRY = "NL"

# EU standard VAT rates in 2026, percent.
EU_RATES: dict[str, float] = {
    "AT": 20, "BE": 21, "BG": 20, "HR": 25, "CY": 19, "CZ": 21, "DK": 25, "EE": 24, "FI": 25.5,
    "FR": 20, "DE": 19, "GR": 24, "HU": 27, "IE": 23, "IT": 22, "LV": 21, "LT": 21, "LU": 17,
    "MT": 18, "NL": 21, "PL": 23, "PT": 23, "RO": 21, "SK": 23, "SI": 22, "ES": 21, "SE": 25,
}  # fmt: skip

# Countries outside the EU that Stripe knows (a selection of ISO 3166-1 alpha-2 codes).
OTHER_COUNTRIES: dict[str, str] = {
    "US": "United States", "GB": "United Kingdom", "CH": "Switzerland", "NO": "Norway",
    "CA": "Canada", "AU": "Australia", "JP": "Japan", "IS": "Iceland", "LI": "Liechtenstein",
    "NZ": "New Zealand", "SG": "Singapore", "IN": "India", "BR": "Brazil", "MX": "Mexico",
    "ZA": "South Africa", "TR": "Turkey", "UA": "Ukraine", "IL": "Israel", "AE": "United Arab Emirates",
    "KR": "South Korea", "CN": "China", "HK": "Hong Kong",
}  # fmt: skip

EU_NAMES: dict[str, str] = {
    "AT": "Austria", "BE": "Belgium", "BG": "Bulgaria", "HR": "Croatia", "CY": "Cyprus",
    "CZ": "Czechia", "DK": "Denmark", "EE": "Estonia", "FI": "Finland", "FR": "France",
    "DE": "Germany", "GR": "Greece", "HU": "Hungary", "IE": "Ireland", "IT": "Italy",
    "LV": "Latvia", "LT": "Lithuania", "LU": "Luxembourg", "MT": "Malta", "NL": "Netherlands",
    "PL": "Poland", "PT": "Portugal", "RO": "Romania", "SK": "Slovakia", "SI": "Slovenia",
    "ES": "Spain", "SE": "Sweden",
}  # fmt: skip

COUNTRY_NAMES = {**EU_NAMES, **OTHER_COUNTRIES}

# What the tax is called where it is not VAT.
_TAX_NAMES = {"US": ("Sales Tax", "sales_tax"), "CA": ("GST", "gst"), "AU": ("GST", "gst"),
              "NZ": ("GST", "gst"), "SG": ("GST", "gst"), "IN": ("GST", "gst"), "JP": ("JCT", "jct")}

REVERSE_CHARGE_NOTE = (
    "Reverse charge: VAT to be accounted for by the recipient "
    "(Article 196, Council Directive 2006/112/EC)."
)


def location_invalid() -> StripeError:
    return StripeError(
        "The customer's location isn't recognized. Provide a valid address to calculate tax.",
        param="customer_details[address]",
        code="customer_tax_location_invalid",
    )


def known_country(country: str | None) -> bool:
    return bool(country) and country in COUNTRY_NAMES


def decide(country: str | None, verified_eu_vat: bool) -> tuple[float, str]:
    """``(percentage, taxability_reason)`` for a sale to a customer in ``country``."""
    if not known_country(country):
        raise location_invalid()
    assert country is not None
    if country == SELLER_COUNTRY:
        return EU_RATES[country], "standard_rated"
    if country in EU_RATES:
        return (0, "reverse_charge") if verified_eu_vat else (EU_RATES[country], "standard_rated")
    return 0, "not_collecting"


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tax_on(amount: int, percentage: float, behavior: str) -> int:
    """Tax in cents on ``amount``: added on top (exclusive) or contained in it (inclusive)."""
    rate = Decimal(str(percentage)) / 100
    if behavior == "inclusive":
        return amount - round_half_up(Decimal(amount) / (1 + rate))
    return round_half_up(Decimal(amount) * rate)


def tax_rate(store: Store, country: str, percentage: float, inclusive: bool, at: int) -> dict[str, Any]:
    """Stripe Tax's ``tax_rate`` for (country, percentage, inclusive), created on first use
    (rates made with ``POST /v1/tax_rates`` are not reused)."""
    for existing in store.all("tax_rate"):
        if store.internal.get(existing["id"], {}).get("automatic") and (
            existing["country"], existing["percentage"], existing["inclusive"]
        ) == (country, percentage, inclusive):  # fmt: skip
            return existing
    display_name, tax_type = _TAX_NAMES.get(country, ("VAT", "vat"))
    rate = store.add(
        tax_rate_object(
            display_name=display_name,
            percentage=percentage,
            inclusive=inclusive,
            country=country,
            jurisdiction=country,
            description=f"{display_name} {COUNTRY_NAMES.get(country, country)}",
            tax_type=tax_type,
            created=at,
        )
    )
    rate["jurisdiction_level"] = "country"
    store.internal[rate["id"]]["automatic"] = True
    return rate


def tax_rate_object(
    *,
    display_name: str,
    percentage: float,
    inclusive: bool,
    country: str | None,
    jurisdiction: str | None,
    description: str | None,
    tax_type: str | None,
    created: int,
    active: bool = True,
    metadata: dict[str, str] | None = None,
    state: str | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id("txr_"),
        "object": "tax_rate",
        "active": active,
        "country": country,
        "created": created,
        "description": description,
        "display_name": display_name,
        "effective_percentage": percentage,
        "flat_amount": None,
        "inclusive": inclusive,
        "jurisdiction": jurisdiction,
        "jurisdiction_level": None,
        "livemode": False,
        "metadata": metadata or {},
        "percentage": percentage,
        "rate_type": "percentage",
        "state": state,
        "tax_type": tax_type,
    }


def apply_automatic_tax(
    invoice: dict[str, Any], customer: dict[str, Any], tax_ids: list[dict[str, Any]], store: Store, at: int
) -> None:
    """Compute the draft invoice's taxes per line (on the discounted amounts); the caller
    then brings the totals in line (:func:`~.totals.set_totals`).

    Without a recognized customer location the invoice keeps no tax and its
    ``automatic_tax.status`` says ``requires_location_inputs``, as Stripe's does.
    """
    address = customer["address"]
    country = address["country"] if address else None
    invoice.update(
        account_country=SELLER_COUNTRY,
        customer_address=copy.deepcopy(address),
        customer_name=customer["name"],
        customer_tax_exempt=customer["tax_exempt"],
        customer_tax_ids=[{"type": tax_id["type"], "value": tax_id["value"]} for tax_id in tax_ids],
        automatic_tax={
            "disabled_reason": None,
            "enabled": True,
            "liability": {"type": "self"},
            "provider": "stripe",
            "status": "complete",
        },
    )
    if not known_country(country):
        invoice["automatic_tax"]["status"] = "requires_location_inputs"
        return
    verified = any(
        tax_id["type"] == "eu_vat" and tax_id["verification"]["status"] == "verified" for tax_id in tax_ids
    )
    percentage, reason = decide(country, verified)
    assert country is not None
    totals: dict[str, dict[str, Any]] = {}
    for line in invoice["lines"]["data"]:
        behavior = _behavior(store, line)
        rate = tax_rate(store, country, percentage, behavior == "inclusive", at)
        discounted = line["amount"] - line_discount(line)
        amount = tax_on(discounted, percentage, behavior)
        net = discounted - (amount if behavior == "inclusive" else 0)
        taxable = 0 if reason == "not_collecting" else net
        entry = {
            "amount": amount,
            "tax_behavior": behavior,
            "tax_rate_details": {"tax_rate": rate["id"]},
            "taxability_reason": reason,
            "taxable_amount": taxable,
            "type": "tax_rate_details",
        }
        line["taxes"] = [entry]
        summed = totals.setdefault(rate["id"], {**copy.deepcopy(entry), "amount": 0, "taxable_amount": 0})
        summed["amount"] += amount
        summed["taxable_amount"] += taxable
    invoice["total_taxes"] = list(totals.values())
    if reason == "reverse_charge":
        invoice["footer"] = REVERSE_CHARGE_NOTE


def _behavior(store: Store, line: dict[str, Any]) -> str:
    """The price's ``tax_behavior``; ``unspecified`` is treated as exclusive."""
    price = store.get("price", line["pricing"]["price_details"]["price"])
    behavior = price["tax_behavior"] if price else "unspecified"
    return "inclusive" if behavior == "inclusive" else "exclusive"


def invoice_tax(invoice: dict[str, Any]) -> int:
    return sum(tax["amount"] for tax in invoice["total_taxes"])
