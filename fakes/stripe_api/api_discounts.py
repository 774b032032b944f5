"""``/v1/coupons`` and ``/v1/promotion_codes`` (see :mod:`.discounts` for how they apply).

Coupons: create (``id``, ``percent_off`` or ``amount_off`` + ``currency``, ``duration``,
``duration_in_months``, ``name``, ``max_redemptions``, ``redeem_by``,
``applies_to[products]``, ``metadata``), retrieve, list, update ``name``/``metadata``,
delete. Promotion codes: create (``promotion[type]=coupon`` + ``promotion[coupon]``,
``code``, ``active``, ``max_redemptions``, ``expires_at``,
``restrictions[first_time_transaction]``, ``metadata``), retrieve, list by ``code``,
``active``, ``coupon``, update ``active``/``metadata``.
"""

import secrets
import string

from flask import Blueprint, Response

from . import discounts
from .errors import invalid
from .objects import paginate
from .state import fake
from .wire import api_call, request_params, respond

discounts_api = Blueprint("discounts_api", __name__, url_prefix="/v1")


@discounts_api.post("/coupons")
@api_call
def create_coupon() -> Response:
    params, store = request_params(), fake().store
    coupon_id = params.text("id")
    if coupon_id and store.get("coupon", coupon_id) is not None:
        raise invalid("Coupon already exists.", param="id", code="resource_already_exists")
    percent_off = params.number("percent_off") if "percent_off" in params else None
    amount_off = params.integer("amount_off", minimum=1)
    if (percent_off is None) == (amount_off is None):
        raise invalid("You must pass exactly one of `percent_off` or `amount_off`.", param="percent_off")
    if percent_off is not None and not 0 < percent_off <= 100:
        raise invalid("Invalid percent_off: must be greater than 0 and at most 100.", param="percent_off")
    currency = params.text("currency")
    if amount_off is not None and not currency:
        raise invalid("You must pass currency when passing amount_off.", param="currency")
    duration = params.choice("duration", discounts.DURATIONS, default="once")
    months = params.integer("duration_in_months", minimum=1)
    if duration == "repeating" and months is None:
        raise invalid(
            "You must pass duration_in_months when duration is repeating.", param="duration_in_months"
        )
    if duration != "repeating" and months is not None:
        raise invalid(
            "duration_in_months is only allowed with duration=repeating.", param="duration_in_months"
        )
    applies_to = params.nested("applies_to")
    coupon = discounts.coupon(
        coupon_id=coupon_id,
        percent_off=percent_off,
        amount_off=amount_off,
        currency=currency.lower() if currency and amount_off is not None else None,
        duration=duration,
        duration_in_months=months,
        name=params.text("name"),
        max_redemptions=params.integer("max_redemptions", minimum=1),
        redeem_by=params.integer("redeem_by"),
        products=applies_to.strings("products") if "products" in applies_to else None,
        metadata=params.metadata(),
        created=store.now(),
    )
    store.add(coupon)
    fake().webhooks.emit(coupon, "created", store.now())
    return respond(coupon, params)


@discounts_api.get("/coupons")
@api_call
def list_coupons() -> Response:
    params, store = request_params(), fake().store
    found = store.all("coupon")
    for coupon in found:
        discounts.refresh_validity(coupon, store.now())
    return respond(paginate(found, params, "/v1/coupons"), params)


@discounts_api.get("/coupons/<coupon_id>")
@api_call
def retrieve_coupon(coupon_id: str) -> Response:
    store = fake().store
    coupon = store.require("coupon", coupon_id)
    discounts.refresh_validity(coupon, store.now())
    return respond(coupon, request_params())


@discounts_api.post("/coupons/<coupon_id>")
@api_call
def update_coupon(coupon_id: str) -> Response:
    params, store = request_params(), fake().store
    coupon = store.require("coupon", coupon_id)
    with fake().webhooks.updating(coupon, store.now()):
        if "name" in params:
            coupon["name"] = params.text("name") or None
        coupon["metadata"] = params.metadata(coupon["metadata"])
    return respond(coupon, params)


@discounts_api.delete("/coupons/<coupon_id>")
@api_call
def delete_coupon(coupon_id: str) -> Response:
    """Existing discounts keep running; the coupon can no longer be redeemed."""
    store = fake().store
    coupon = store.require("coupon", coupon_id)
    store.remove("coupon", coupon_id)
    store.internal[coupon_id]["deleted"] = coupon
    fake().webhooks.emit(coupon, "deleted", store.now())
    return respond({"id": coupon_id, "object": "coupon", "deleted": True})


@discounts_api.post("/promotion_codes")
@api_call
def create_promotion_code() -> Response:
    params, store = request_params(), fake().store
    promotion = params.nested("promotion")
    promotion.choice("type", ("coupon",))
    coupon = store.require("coupon", promotion.text("coupon", required=True), "promotion[coupon]")
    code = params.text("code") or "".join(
        secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8)
    )
    if not all(char.isalnum() or char == "-" for char in code):
        raise invalid("Promotion codes may contain only letters, digits and dashes.", param="code")
    active = params.flag("active", default=True)
    if active and any(p["active"] and p["code"].lower() == code.lower() for p in store.all("promotion_code")):
        raise invalid(f"An active promotion code with code `{code}` already exists.", param="code")
    max_redemptions = params.integer("max_redemptions", minimum=1)
    if coupon["max_redemptions"] is not None and (max_redemptions or 0) > coupon["max_redemptions"]:
        raise invalid("max_redemptions cannot exceed the coupon's max_redemptions.", param="max_redemptions")
    expires_at = params.integer("expires_at")
    if expires_at is not None and coupon["redeem_by"] is not None and expires_at > coupon["redeem_by"]:
        raise invalid("expires_at cannot be after the coupon's redeem_by.", param="expires_at")
    promo = discounts.promotion_code(
        coupon_id=coupon["id"],
        code=code,
        active=bool(active),
        max_redemptions=max_redemptions,
        expires_at=expires_at,
        first_time_transaction=bool(
            params.nested("restrictions").flag("first_time_transaction", default=False)
        ),
        metadata=params.metadata(),
        created=store.now(),
    )
    store.add(promo)
    fake().webhooks.emit(promo, "created", store.now())
    return respond(promo, params)


@discounts_api.get("/promotion_codes")
@api_call
def list_promotion_codes() -> Response:
    params = request_params()
    found = fake().store.all("promotion_code")
    if (code := params.text("code")) is not None:
        found = [promo for promo in found if promo["code"].lower() == code.lower()]
    if (active := params.flag("active")) is not None:
        found = [promo for promo in found if promo["active"] is active]
    if (coupon := params.text("coupon")) is not None:
        found = [promo for promo in found if promo["promotion"]["coupon"] == coupon]
    return respond(paginate(found, params, "/v1/promotion_codes"), params)


@discounts_api.get("/promotion_codes/<promo_id>")
@api_call
def retrieve_promotion_code(promo_id: str) -> Response:
    return respond(fake().store.require("promotion_code", promo_id), request_params())


@discounts_api.post("/promotion_codes/<promo_id>")
@api_call
def update_promotion_code(promo_id: str) -> Response:
    params, store = request_params(), fake().store
    promo = store.require("promotion_code", promo_id)
    with fake().webhooks.updating(promo, store.now()):
        if (active := params.flag("active")) is not None:
            promo["active"] = active
        promo["metadata"] = params.metadata(promo["metadata"])
    return respond(promo, params)
