"""Customer tax IDs: the ``eu_vat`` formats Stripe checks, and ``tax_id`` objects.

A value is normalized (spaces and dots dropped, upper-cased) and must match its country's
format, the country being its prefix (``EL`` is Greece). In test mode a well-formed number
is ``verified`` at once (``verified_name``: the business name when known), except numbers
ending in ``000``, which stay ``unverified`` (so never give a reverse charge).
"""

import re
from typing import Any

from .errors import StripeError
from .store import new_id

EU_VAT_FORMATS: dict[str, str] = {
    "AT": r"ATU\d{8}", "BE": r"BE[01]\d{9}", "BG": r"BG\d{9,10}", "HR": r"HR\d{11}",
    "CY": r"CY\d{8}[A-Z]", "CZ": r"CZ\d{8,10}", "DK": r"DK\d{8}", "EE": r"EE\d{9}",
    "FI": r"FI\d{8}", "FR": r"FR[0-9A-Z]{2}\d{9}", "DE": r"DE\d{9}", "EL": r"EL\d{9}",
    "HU": r"HU\d{8}", "IE": r"IE(\d{7}[A-Z]{1,2}|\d[A-Z+*]\d{5}[A-Z])", "IT": r"IT\d{11}",
    "LV": r"LV\d{11}", "LT": r"LT(\d{9}|\d{12})", "LU": r"LU\d{8}", "MT": r"MT\d{8}",
    "NL": r"NL\d{9}B\d{2}", "PL": r"PL\d{10}", "PT": r"PT\d{9}", "RO": r"RO\d{2,10}",
    "SK": r"SK\d{10}", "SI": r"SI\d{8}", "ES": r"ES[0-9A-Z]\d{7}[0-9A-Z]", "SE": r"SE\d{12}",
}  # fmt: skip

# The VAT prefix differs from the ISO country code only for Greece.
_COUNTRY_OF_PREFIX = {"EL": "GR"}
PREFIX_OF_COUNTRY = {"GR": "EL"}
SUPPORTED_TYPES = ("eu_vat",)


def normalize(value: str) -> str:
    return re.sub(r"[\s.]", "", value).upper()


def invalid_tax_id(tax_type: str, param: str) -> StripeError:
    return StripeError(f"Invalid value for {tax_type}.", param=param, code="tax_id_invalid")


def validate(tax_type: str, value: str, param: str = "value") -> tuple[str, str]:
    """``(normalized value, country)``, or Stripe's ``tax_id_invalid`` error."""
    if tax_type not in SUPPORTED_TYPES:
        raise StripeError(
            f"Invalid type: must be one of {', '.join(SUPPORTED_TYPES)} in this local Stripe.",
            param="type",
        )
    normalized = normalize(value)
    pattern = EU_VAT_FORMATS.get(normalized[:2])
    if pattern is None or not re.fullmatch(pattern, normalized):
        raise invalid_tax_id(tax_type, param)
    prefix = normalized[:2]
    return normalized, _COUNTRY_OF_PREFIX.get(prefix, prefix)


def verification(value: str, business_name: str | None) -> dict[str, Any]:
    """Test mode's instant verification; numbers ending in ``000`` are ``unverified``."""
    if value.endswith("000"):
        return {"status": "unverified", "verified_address": None, "verified_name": None}
    return {"status": "verified", "verified_address": None, "verified_name": business_name or None}


def tax_id(
    *, customer_id: str, tax_type: str, value: str, country: str, business_name: str | None, created: int
) -> dict[str, Any]:
    return {
        "id": new_id("txi_"),
        "object": "tax_id",
        "country": country,
        "created": created,
        "customer": customer_id,
        "livemode": False,
        "owner": {"customer": customer_id, "type": "customer"},
        "type": tax_type,
        "value": value,
        "verification": verification(value, business_name),
    }


def deleted_tax_id(tax_id_id: str) -> dict[str, Any]:
    return {"id": tax_id_id, "object": "tax_id", "deleted": True}


def of_customer(objects: list[dict[str, Any]], customer_id: str) -> list[dict[str, Any]]:
    """The customer's tax IDs among ``objects`` (newest first), oldest first."""
    return [item for item in reversed(objects) if item["customer"] == customer_id]
