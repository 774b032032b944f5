"""Coupons of the catalog: discounts Stripe gives, synced to Stripe by id with their
promotion codes (``contyzr catalog sync``), so that only what the catalog says is given."""

from __future__ import annotations

import re
from dataclasses import dataclass

DURATIONS = ("once", "repeating", "forever")
CODE = re.compile(r"[A-Z0-9]{3,40}")  # promotion codes as customers type them


class CouponError(ValueError):
    pass


@dataclass(frozen=True)
class Coupon:
    id: str
    name: str
    percent_off: int
    duration: str
    duration_in_months: int | None = None
    promotion_codes: tuple[str, ...] = ()


def parse_coupons(raw: dict) -> dict[str, Coupon]:
    coupons = {}
    for coupon_id, spec in raw.items():
        where = f"coupon '{coupon_id}'"
        percent = spec.get("percent_off")
        if isinstance(percent, bool) or not isinstance(percent, int) or not 0 < percent <= 100:
            raise CouponError(f"{where} percent_off: a whole percentage from 1 to 100, got {percent!r}")
        duration = spec.get("duration", "once")
        if duration not in DURATIONS:
            raise CouponError(f"{where} duration: one of {', '.join(DURATIONS)}, got {duration!r}")
        months = spec.get("duration_in_months")
        if (duration == "repeating") != isinstance(months, int) or (months is not None and months < 1):
            raise CouponError(f"{where} duration_in_months: a number of months, for a repeating "
                              "coupon only")
        codes = tuple(spec.get("promotion_codes", ()))
        for code in codes:
            if not CODE.fullmatch(code):
                raise CouponError(f"{where} promotion code {code!r}: 3 to 40 capitals and digits")
        coupons[coupon_id] = Coupon(coupon_id, spec.get("name", coupon_id), percent, duration,
                                    months, codes)
    return coupons
