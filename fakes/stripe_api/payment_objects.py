"""Builders for Stripe-shaped one-off payments: PaymentIntents, Charges, application fees,
refunds and application fee refunds (API version 2026-10-28; stripe-mock's fields)."""

import copy
from typing import Any

from .objects import list_object
from .payment_methods import IDEAL_BANKS
from .store import new_id


def payment_intent(
    *,
    amount: int,
    currency: str,
    application: str | None,
    application_fee_amount: int | None,
    customer: str | None,
    description: str | None,
    metadata: dict[str, str],
    payment_method: dict[str, Any],
    payment_method_types: list[str],
    receipt_email: str | None,
    shipping: dict[str, Any] | None,
    statement_descriptor_suffix: str | None,
    created: int,
) -> dict[str, Any]:
    """A PaymentIntent that succeeded at once (Checkout confirms and captures it)."""
    intent_id = new_id("pi_")
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": amount,
        "application": application,
        "application_fee_amount": application_fee_amount,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic_async",
        "client_secret": f"{intent_id}_secret_{new_id('', 25)}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": customer,
        "description": description,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata,
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": payment_method["id"],
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": payment_method_types,
        "processing": None,
        "receipt_email": receipt_email,
        "review": None,
        "setup_future_usage": None,
        "shipping": shipping,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": statement_descriptor_suffix,
        "status": "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }


def charge(
    *, intent: dict[str, Any], payment_method: dict[str, Any], fee_id: str | None, created: int
) -> dict[str, Any]:
    """The PaymentIntent's successful charge."""
    return {
        "id": new_id("ch_"),
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"],
        "amount_refunded": 0,
        "application": intent["application"],
        "application_fee": fee_id,
        "application_fee_amount": intent["application_fee_amount"],
        "balance_transaction": new_id("txn_"),
        "billing_details": copy.deepcopy(payment_method["billing_details"]),
        "calculated_statement_descriptor": "LOCAL STRIPE",
        "captured": True,
        "created": created,
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": True,
        "payment_intent": intent["id"],
        "payment_method": payment_method["id"],
        "payment_method_details": method_details(payment_method),
        "receipt_email": intent["receipt_email"],
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "review": None,
        "shipping": copy.deepcopy(intent["shipping"]),
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": intent["statement_descriptor_suffix"],
        "status": "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }


def method_details(method: dict[str, Any]) -> dict[str, Any]:
    """A charge's ``payment_method_details`` for the PaymentMethod it was paid with."""
    name = method["billing_details"]["name"]
    if method["type"] == "card":
        card = method["card"]
        details = {
            "amount_authorized": None,
            "authorization_code": None,
            "brand": card["brand"],
            "checks": copy.deepcopy(card["checks"]),
            "country": card["country"],
            "exp_month": card["exp_month"],
            "exp_year": card["exp_year"],
            "extended_authorization": {"status": "disabled"},
            "fingerprint": card["fingerprint"],
            "funding": card["funding"],
            "incremental_authorization": {"status": "unavailable"},
            "installments": None,
            "last4": card["last4"],
            "mandate": None,
            "multicapture": {"status": "unavailable"},
            "network": card["brand"],
            "network_token": {"used": False},
            "network_transaction_id": None,
            "overcapture": {"maximum_amount_capturable": 0, "status": "unavailable"},
            "regulated_status": "unregulated",
            "three_d_secure": None,
            "wallet": None,
        }
    elif method["type"] == "ideal":
        bank = method["ideal"]["bank"]
        details = {
            "bank": bank,
            "bic": IDEAL_BANKS[bank][0],
            "generated_sepa_debit": None,
            "generated_sepa_debit_mandate": None,
            "iban_last4": IDEAL_BANKS[bank][1][-4:],
            "verified_name": name or "Jenny Rosen",
        }
    else:
        details = {
            "bank_code": "VAPE",
            "bank_name": "VAN DE PUT & CO",
            "bic": "VAPEBE22",
            "generated_sepa_debit": None,
            "generated_sepa_debit_mandate": None,
            "iban_last4": "7061",
            "preferred_language": "en",
            "verified_name": name or "Jenny Rosen",
        }
    return {"type": method["type"], method["type"]: details}


def application_fee(
    *, account: str, amount: int, application: str, charge_id: str, currency: str, created: int
) -> dict[str, Any]:
    fee_id = new_id("fee_")
    return {
        "id": fee_id,
        "object": "application_fee",
        "account": account,
        "amount": amount,
        "amount_refunded": 0,
        "application": application,
        "balance_transaction": new_id("txn_"),
        "charge": charge_id,
        "created": created,
        "currency": currency,
        "fee_source": {"charge": charge_id, "type": "charge"},
        "livemode": False,
        "originating_transaction": None,
        "refunded": False,
        "refunds": list_object([], f"/v1/application_fees/{fee_id}/refunds"),
    }


def refund(
    *,
    amount: int,
    charge_obj: dict[str, Any],
    reason: str | None,
    metadata: dict[str, str],
    created: int,
) -> dict[str, Any]:
    method_type = charge_obj["payment_method_details"]["type"]
    destination: dict[str, Any] = {"type": method_type, method_type: {}}
    if method_type == "card":
        destination["card"] = {
            "reference": None,
            "reference_status": "pending",
            "reference_type": "acquirer_reference_number",
            "type": "refund",
        }
    return {
        "id": new_id("re_"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn_"),
        "charge": charge_obj["id"],
        "created": created,
        "currency": charge_obj["currency"],
        "destination_details": destination,
        "metadata": metadata,
        "payment_intent": charge_obj["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def fee_refund(*, fee: dict[str, Any], amount: int, created: int) -> dict[str, Any]:
    return {
        "id": new_id("fr_"),
        "object": "fee_refund",
        "amount": amount,
        "balance_transaction": new_id("txn_"),
        "created": created,
        "currency": fee["currency"],
        "fee": fee["id"],
        "metadata": {},
    }
