"""Coupons, promotion codes and the discounts they become on subscriptions and invoices.

A discount lives on a subscription (``subscription.discounts``, ids of ``discount``
objects); each invoice of the subscription applies the discounts still running when it
is made: ``once`` until an invoice it takes something off (not a $0 trial invoice),
``repeating`` until ``end`` (start plus ``duration_in_months``), ``forever`` always.
Percentages apply per discountable line, fixed amounts are spread over the lines in
proportion (never more than their sum).
Prorations are not discountable, as with Stripe. Tax is computed on what is left.
"""

from typing import Any

from .errors import StripeError, invalid
from .periods import add_interval
from .store import Store, new_id
from .totals import line_discount

DURATIONS = ("once", "repeating", "forever")
INVALID_CODE = "This code is invalid."


def coupon(
    *,
    coupon_id: str | None,
    percent_off: float | None,
    amount_off: int | None,
    currency: str | None,
    duration: str,
    duration_in_months: int | None,
    name: str | None,
    max_redemptions: int | None,
    redeem_by: int | None,
    products: list[str] | None,
    metadata: dict[str, str],
    created: int,
) -> dict[str, Any]:
    return {
        "id": coupon_id or new_id("", 8),
        "object": "coupon",
        "amount_off": amount_off,
        "applies_to": {"products": products} if products is not None else None,
        "created": created,
        "currency": currency,
        "currency_options": None,
        "duration": duration,
        "duration_in_months": duration_in_months,
        "livemode": False,
        "max_redemptions": max_redemptions,
        "metadata": metadata,
        "name": name,
        "percent_off": percent_off,
        "redeem_by": redeem_by,
        "times_redeemed": 0,
        "valid": True,
    }


def promotion_code(
    *,
    coupon_id: str,
    code: str,
    active: bool,
    max_redemptions: int | None,
    expires_at: int | None,
    first_time_transaction: bool,
    metadata: dict[str, str],
    created: int,
) -> dict[str, Any]:
    return {
        "id": new_id("promo_"),
        "object": "promotion_code",
        "active": active,
        "code": code,
        "created": created,
        "customer": None,
        "customer_account": None,
        "expires_at": expires_at,
        "livemode": False,
        "max_redemptions": max_redemptions,
        "metadata": metadata,
        "promotion": {"coupon": coupon_id, "type": "coupon"},
        "restrictions": {
            "currency_options": {},
            "first_time_transaction": first_time_transaction,
            "minimum_amount": None,
            "minimum_amount_currency": None,
        },
        "times_redeemed": 0,
    }


def refresh_validity(coupon_obj: dict[str, Any], at: int) -> None:
    """``valid`` turns false once the coupon is past ``redeem_by`` or fully redeemed."""
    exhausted = coupon_obj["max_redemptions"] is not None and (
        coupon_obj["times_redeemed"] >= coupon_obj["max_redemptions"]
    )
    expired = coupon_obj["redeem_by"] is not None and coupon_obj["redeem_by"] <= at
    coupon_obj["valid"] = not (exhausted or expired)


def usable_coupon(store: Store, coupon_id: str, param: str, at: int) -> dict[str, Any]:
    coupon_obj = store.get("coupon", coupon_id)
    if coupon_obj is None:
        raise invalid(f"No such coupon: '{coupon_id}'", param=param, code="resource_missing")
    refresh_validity(coupon_obj, at)
    if not coupon_obj["valid"]:
        raise invalid(f"Coupon {coupon_id} is no longer valid.", param=param, code="coupon_expired")
    return coupon_obj


def find_code(store: Store, code: str) -> dict[str, Any] | None:
    """The active promotion code whose ``code`` matches (case-insensitively), else any."""
    matching = [promo for promo in store.all("promotion_code") if promo["code"].lower() == code.lower()]
    return next((promo for promo in matching if promo["active"]), matching[0] if matching else None)


def usable_promotion(
    store: Store, promo: dict[str, Any] | None, customer_id: str | None, param: str, at: int
) -> dict[str, Any]:
    """The promotion code if it may be redeemed now by the customer, else 400."""
    error = StripeError(INVALID_CODE, param=param, code="promotion_code_invalid")
    if promo is None or not promo["active"]:
        raise error
    if promo["expires_at"] is not None and promo["expires_at"] <= at:
        raise error
    if promo["max_redemptions"] is not None and promo["times_redeemed"] >= promo["max_redemptions"]:
        raise error
    if promo["restrictions"]["first_time_transaction"] and customer_id and _has_paid(store, customer_id):
        raise error
    coupon_obj = store.require("coupon", promo["promotion"]["coupon"])
    refresh_validity(coupon_obj, at)
    if not coupon_obj["valid"]:
        raise error
    return promo


def _has_paid(store: Store, customer_id: str) -> bool:
    return any(inv["customer"] == customer_id and inv["amount_paid"] > 0 for inv in store.all("invoice"))


def resolve(
    store: Store, entries: list[Any], customer_id: str | None, currency: str, at: int
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """``discounts[][coupon|promotion_code]`` as (coupon, promotion code) pairs, checked."""
    resolved = []
    for entry in entries:
        if (promo_id := entry.text("promotion_code")) is not None:
            promo = usable_promotion(store, store.get("promotion_code", promo_id), customer_id,
                                     entry.param("promotion_code"), at)  # fmt: skip
            resolved.append((store.require("coupon", promo["promotion"]["coupon"]), promo))
        elif (coupon_id := entry.text("coupon")) is not None:
            resolved.append((usable_coupon(store, coupon_id, entry.param("coupon"), at), None))
        else:
            raise invalid("Each discount needs a `coupon` or a `promotion_code`.",
                          param=entry.param("coupon"))  # fmt: skip
    for coupon_obj, _ in resolved:
        if coupon_obj["amount_off"] is not None and coupon_obj["currency"] != currency:
            raise invalid(
                f"The coupon {coupon_obj['id']} is in {coupon_obj['currency']} but the subscription "
                f"is in {currency}.",
                param="discounts",
            )
    return resolved


def redeem(
    store: Store,
    coupon_obj: dict[str, Any],
    promo: dict[str, Any] | None,
    *,
    customer_id: str,
    subscription_id: str,
    at: int,
    checkout_session: str | None = None,
) -> dict[str, Any]:
    """A new ``discount`` for the subscription; counts the redemption."""
    end = None
    if coupon_obj["duration"] == "repeating":
        end = add_interval(at, "month", coupon_obj["duration_in_months"] or 1)
    coupon_obj["times_redeemed"] += 1
    refresh_validity(coupon_obj, at)
    if promo is not None:
        promo["times_redeemed"] += 1
    return store.add(
        {
            "id": new_id("di_"),
            "object": "discount",
            "checkout_session": checkout_session,
            "customer": customer_id,
            "customer_account": None,
            "end": end,
            "invoice": None,
            "invoice_item": None,
            "promotion_code": promo["id"] if promo else None,
            "source": {"coupon": coupon_obj["id"], "type": "coupon"},
            "start": at,
            "subscription": subscription_id,
            "subscription_item": None,
        }
    )


def running(store: Store, subscription: dict[str, Any], at: int) -> list[dict[str, Any]]:
    """The subscription's discounts that apply to an invoice made at ``at``."""
    found = [store.get("discount", discount_id) for discount_id in subscription["discounts"]]
    return [discount for discount in found if discount and (discount["end"] is None or discount["end"] > at)]


def apply(store: Store, invoice: dict[str, Any], discounts: list[dict[str, Any]]) -> None:
    """Fill the lines' ``discount_amounts`` and the invoice's ``discounts``/``total_discount_amounts``."""
    lines = invoice["lines"]["data"]
    for line in lines:
        line["discount_amounts"], line["discounts"] = [], []
    totals = []
    for discount in discounts:
        coupon_obj = coupon_of(store, discount)
        eligible = [line for line in lines if line["discountable"] and _applies(coupon_obj, line)]
        remaining = [line["amount"] - line_discount(line) for line in eligible]
        if coupon_obj["percent_off"] is not None:
            amounts = [round(left * coupon_obj["percent_off"] / 100) for left in remaining]
        else:
            amounts = _spread(min(coupon_obj["amount_off"], max(sum(remaining), 0)), remaining)
        for line, amount in zip(eligible, amounts, strict=True):
            line["discount_amounts"].append({"amount": amount, "discount": discount["id"]})
            line["discounts"].append(discount["id"])
        totals.append({"amount": sum(amounts), "discount": discount["id"]})
    invoice["discounts"] = [discount["id"] for discount in discounts]
    invoice["total_discount_amounts"] = totals


def coupon_of(store: Store, discount: dict[str, Any]) -> dict[str, Any]:
    """The discount's coupon, even if it was deleted since."""
    coupon_id = discount["source"]["coupon"]
    return store.get("coupon", coupon_id) or store.internal[coupon_id]["deleted"]


def checkout_discounts(
    store: Store, session: dict[str, Any], code: str, customer_id: str | None, at: int
) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """What a Checkout payment redeems: the session's ``discounts``, or the entered code."""
    if code:
        if not session["allow_promotion_codes"]:
            raise StripeError(INVALID_CODE, param="promotion_code", code="promotion_code_invalid")
        promo = usable_promotion(store, find_code(store, code), customer_id, "promotion_code", at)
        return [(store.require("coupon", promo["promotion"]["coupon"]), promo)]
    found = []
    for entry in session["discounts"]:
        if entry["promotion_code"]:
            promo = usable_promotion(store, store.get("promotion_code", entry["promotion_code"]), customer_id,
                                     "discounts", at)  # fmt: skip
            found.append((store.require("coupon", promo["promotion"]["coupon"]), promo))
        else:
            found.append((usable_coupon(store, entry["coupon"], "discounts", at), None))
    return found


def _applies(coupon_obj: dict[str, Any], line: dict[str, Any]) -> bool:
    products = (coupon_obj["applies_to"] or {}).get("products")
    return products is None or line["pricing"]["price_details"]["product"] in products


def _spread(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights``; the last takes the rounding rest."""
    whole = sum(weights)
    if not weights or whole <= 0:
        return [0] * len(weights)
    shares = [total * weight // whole for weight in weights[:-1]]
    return [*shares, total - sum(shares)]


def after_invoice(store: Store, subscription: dict[str, Any], invoice: dict[str, Any], at: int) -> None:
    """Drop the subscription's discounts that are used up (``once``) or ended."""
    kept = []
    for discount_id in subscription["discounts"]:
        discount = store.get("discount", discount_id)
        if discount is None:
            continue
        once = coupon_of(store, discount)["duration"] == "once"
        taken = [entry for entry in invoice["total_discount_amounts"] if entry["discount"] == discount_id]
        used = once and any(entry["amount"] > 0 for entry in taken)
        ended = discount["end"] is not None and discount["end"] <= at
        if not (used or ended):
            kept.append(discount_id)
    subscription["discounts"] = kept
