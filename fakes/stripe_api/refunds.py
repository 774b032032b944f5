"""Refunds of a one-off payment's charge (``POST /v1/refunds``), and of the platform's
application fee with it (``refund_application_fee``: the fee's share of the refunded amount,
all that is left of it once the charge is fully refunded). Refunds succeed at once.
"""

from decimal import Decimal
from typing import Any

from .billing_objects import format_amount
from .errors import invalid
from .params import Params
from .payment_objects import fee_refund, refund
from .store import Store
from .tax import round_half_up
from .webhooks import Webhooks

REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def create(store: Store, webhooks: Webhooks, params: Params) -> dict[str, Any]:
    """Refund ``amount`` (default: what is left) of the charge; emits ``refund.created`` and
    ``charge.refunded`` (and ``application_fee.refunded`` to the platform)."""
    at = store.now()
    charge = _charge(store, params.text("payment_intent"), params.text("charge"))
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise invalid(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    amount = params.integer("amount", default=remaining, minimum=1) or 0
    if amount > remaining:
        currency = charge["currency"]
        raise invalid(
            f"Refund amount ({format_amount(amount, currency)}) is greater than unrefunded amount on "
            f"charge ({format_amount(remaining, currency)})",
            param="amount",
            code="amount_too_large",
        )
    reason = params.choice("reason", REASONS) if params.text("reason") else None
    with_fee = bool(params.flag("refund_application_fee", default=False))
    made = store.add(
        refund(amount=amount, charge_obj=charge, reason=reason, metadata=params.metadata(), created=at)
    )
    before = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount"]
    webhooks.emit(made, "created", at)
    webhooks.emit(charge, "refunded", at, before)
    fee = store.get("application_fee", charge["application_fee"] or "", everywhere=True)
    if with_fee and fee is not None:
        _refund_fee(store, webhooks, fee, charge, amount, at)
    return made


def _charge(store: Store, intent_id: str | None, charge_id: str | None) -> dict[str, Any]:
    if not intent_id and not charge_id:
        raise invalid(
            "One of the following params should be provided for this request: payment_intent or charge."
        )
    if not intent_id:
        charge = store.get("charge", charge_id or "")
        if charge is None:
            raise invalid(f"No such charge: '{charge_id}'", param="charge", code="resource_missing")
        return charge
    intent = store.get("payment_intent", intent_id)
    if intent is None:
        raise invalid(
            f"No such payment_intent: '{intent_id}'", param="payment_intent", code="resource_missing"
        )
    if intent["status"] != "succeeded" or intent["latest_charge"] is None:
        raise invalid(
            f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
            param="payment_intent",
        )
    if charge_id and charge_id != intent["latest_charge"]:
        raise invalid(
            f"The charge {charge_id} does not belong to the PaymentIntent {intent_id}.", param="charge"
        )
    return store.require("charge", intent["latest_charge"], "payment_intent")


def _refund_fee(
    store: Store, webhooks: Webhooks, fee: dict[str, Any], charge: dict[str, Any], amount: int, at: int
) -> None:
    left = fee["amount"] - fee["amount_refunded"]
    share = (
        left
        if charge["refunded"]
        else min(left, round_half_up_share(fee["amount"], amount, charge["amount"]))
    )
    if share <= 0:
        return
    made = fee_refund(fee=fee, amount=share, created=at)
    store.add(made, account=None)
    fee["amount_refunded"] += share
    fee["refunded"] = fee["amount_refunded"] == fee["amount"]
    fee["refunds"]["data"].insert(0, made)
    webhooks.emit(fee, "refunded", at)


def round_half_up_share(total: int, part: int, whole: int) -> int:
    """``total * part / whole`` in whole cents, halves rounded up."""
    return round_half_up(Decimal(total) * part / whole)
