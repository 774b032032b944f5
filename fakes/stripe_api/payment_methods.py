"""PaymentMethod objects and the test numbers that steer payments.

Cards: 4242 4242 4242 4242 succeeds; 4000 0027 6000 3184 succeeds but needs authentication
on every charge (done on the Checkout page; a renewal waits for the customer on the hosted
invoice page); any other number is declined. SEPA Direct Debit: the IBANs in
``FAILING_IBANS`` fail at settlement, any other well-formed IBAN is paid. iDEAL and
Bancontact pay at once and leave a generated ``sepa_debit`` method for renewals.
"""

import hashlib
import re
from typing import Any

from .errors import StripeError
from .store import new_id

GOOD_CARD = "4242424242424242"
AUTHENTICATION_CARD = "4000002760003184"
FAILING_IBANS = ("NL91ABNA0417164300", "DE62370400440532013001", "AT861904300235473202")
METHOD_TYPES = ("card", "ideal", "sepa_debit", "bancontact")
EUR_ONLY = ("ideal", "sepa_debit", "bancontact")

# iDEAL banks: (BIC, the IBAN the fake bank debits later on).
IDEAL_BANKS: dict[str, tuple[str, str]] = {
    "abn_amro": ("ABNANL2A", "NL02ABNA0123456789"),
    "asn_bank": ("ASNBNL21", "NL57ASNB0123456789"),
    "bunq": ("BUNQNL2A", "NL71BUNQ0123456789"),
    "ing": ("INGBNL2A", "NL20INGB0001234567"),
    "knab": ("KNABNL2H", "NL72KNAB0123456789"),
    "rabobank": ("RABONL2U", "NL39RABO0300065264"),
    "regiobank": ("RBRBNL21", "NL53RBRB0123456789"),
    "revolut": ("REVOLT21", "NL86REVO0123456789"),
    "sns_bank": ("SNSBNL2A", "NL12SNSB0123456789"),
    "triodos_bank": ("TRIONL2U", "NL44TRIO0123456789"),
}
BANCONTACT_IBAN = "BE68539007547034"
_BANK_CODE_LENGTH = {"NL": 4, "DE": 8, "AT": 5, "BE": 3, "FR": 5, "ES": 4, "IT": 6}


def normalize_number(text: str) -> str:
    return re.sub(r"[\s-]", "", text)


def is_good_card(number: str) -> bool:
    return normalize_number(number) in (GOOD_CARD, AUTHENTICATION_CARD)


def needs_authentication(number: str) -> bool:
    return normalize_number(number) == AUTHENTICATION_CARD


def check_iban(text: str) -> str:
    """The IBAN without spaces, upper-cased, or Stripe's 400 if it is not shaped like one."""
    iban = re.sub(r"\s", "", text).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        raise StripeError("Your IBAN is invalid.", param="iban", code="invalid_bank_account_iban")
    return iban


def iban_fails(iban: str) -> bool:
    return iban in FAILING_IBANS


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _base(method_type: str, customer_id: str, billing_details: dict[str, Any], created: int) -> dict:
    return {
        "id": new_id("pm_"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": billing_details.get("address"),
            "email": billing_details.get("email"),
            "name": billing_details.get("name"),
            "phone": None,
            "tax_id": None,
        },
        "created": created,
        "customer": customer_id,
        "livemode": False,
        "metadata": {},
        "type": method_type,
    }


def card(customer_id: str, number: str, billing_details: dict[str, Any], created: int) -> dict:
    number = normalize_number(number)
    method = _base("card", customer_id, billing_details, created)
    method["card"] = {
        "brand": "visa",
        "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
        "country": "US" if number == GOOD_CARD else "DE",
        "display_brand": "visa",
        "exp_month": 12,
        "exp_year": 2034,
        "fingerprint": _fingerprint(number),
        "funding": "credit",
        "generated_from": None,
        "last4": number[-4:],
        "networks": {"available": ["visa"], "preferred": None},
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
        "regulated_status": "unregulated",
    }
    return method


def sepa_debit(
    customer_id: str, iban: str, billing_details: dict[str, Any], created: int, charge: str | None = None
) -> dict:
    """A SEPA Direct Debit method; ``charge`` names the iDEAL/Bancontact payment it came from."""
    country = iban[:2]
    bank_code = iban[4 : 4 + _BANK_CODE_LENGTH.get(country, 4)]
    method = _base("sepa_debit", customer_id, billing_details, created)
    method["sepa_debit"] = {
        "bank_code": bank_code,
        "branch_code": "",
        "country": country,
        "fingerprint": _fingerprint(iban),
        "generated_from": {"charge": charge, "setup_attempt": None},
        "last4": iban[-4:],
    }
    return method


def ideal(customer_id: str, bank: str, billing_details: dict[str, Any], created: int) -> dict:
    method = _base("ideal", customer_id, billing_details, created)
    method["ideal"] = {"bank": bank, "bic": IDEAL_BANKS[bank][0]}
    return method


def bancontact(customer_id: str, billing_details: dict[str, Any], created: int) -> dict:
    method = _base("bancontact", customer_id, billing_details, created)
    method["bancontact"] = {}
    return method


def new_charge_id() -> str:
    return new_id("ch_")
