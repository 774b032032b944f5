"""How the plans are charged: VAT treatment of the prices and the payment methods offered.

Read from the catalog's ``[billing]`` table. The amounts in the catalog are what Stripe is
told (``tax_behavior``); these helpers give a price as a consumer in the seller's country pays
it and as a business sees it, rounded as Stripe Tax rounds (half up, to the cent).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

TAX_BEHAVIORS = ("exclusive", "inclusive")
# Stripe's payment method types the storefront knows how to describe to its customers.
PAYMENT_METHODS = ("card", "ideal", "sepa_debit", "bancontact")


class BillingTermsError(ValueError):
    pass


@dataclass(frozen=True)
class BillingTerms:
    tax_behavior: str = "exclusive"
    tax_code: str | None = None
    home_vat_percent: Decimal = Decimal(21)
    payment_methods: tuple[str, ...] = ("card",)
    retention_coupon: str | None = None  # a coupon id of the catalog

    def _rate(self) -> Decimal:
        return self.home_vat_percent / 100

    def including_vat(self, amount: int) -> int:
        """What a consumer in the seller's country pays for a catalog ``amount`` (cents)."""
        if self.tax_behavior == "inclusive":
            return amount
        return amount + int((amount * self._rate()).quantize(Decimal(1), ROUND_HALF_UP))

    def excluding_vat(self, amount: int) -> int:
        """The business price (before VAT) for a catalog ``amount`` (cents)."""
        if self.tax_behavior == "exclusive":
            return amount
        return int((amount / (1 + self._rate())).quantize(Decimal(1), ROUND_HALF_UP))


def parse_billing_terms(raw: dict) -> BillingTerms:
    where = "billing"
    behavior = raw.get("tax_behavior", "exclusive")
    if behavior not in TAX_BEHAVIORS:
        raise BillingTermsError(f"{where} tax_behavior: must be one of {', '.join(TAX_BEHAVIORS)}, "
                                f"got {behavior!r}")
    percent = raw.get("home_vat_percent", 21)
    if isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 <= percent < 100:
        raise BillingTermsError(f"{where} home_vat_percent: must be a percentage, got {percent!r}")
    methods = tuple(raw.get("payment_methods", ("card",)))
    unknown = [method for method in methods if method not in PAYMENT_METHODS]
    if unknown or not methods or len(set(methods)) != len(methods):
        raise BillingTermsError(f"{where} payment_methods: one or more of "
                                f"{', '.join(PAYMENT_METHODS)}, each once; got {list(methods)}")
    return BillingTerms(behavior, raw.get("tax_code"), Decimal(str(percent)), methods,
                        raw.get("retention_coupon"))
