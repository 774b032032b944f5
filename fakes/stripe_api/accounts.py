"""Connected accounts (Stripe Connect): their Stripe-shaped objects, who may act for them,
and how onboarding changes them.

A new account cannot take payments (``charges_enabled`` false, ``requirements`` past due)
until someone finishes onboarding on the hosted page behind an account link
(:mod:`.connect_pages`), or a test says so (``POST /_test/accounts/<id>``). Deleted and
deauthorized accounts are out of reach: naming them answers Stripe's 403.
"""

import hashlib
from typing import Any

from .errors import StripeError
from .objects import list_object
from .payment_methods import IDEAL_BANKS
from .store import Store, new_id

PLATFORM_NAME = "Contyzr"
ACCOUNT_TYPES = ("standard", "express", "custom")
BUSINESS_TYPES = ("individual", "company", "non_profit", "government_entity")
CAPABILITIES = ("card_payments", "transfers", "ideal_payments", "bancontact_payments", "sepa_debit_payments")
DEFAULT_CAPABILITIES = ("card_payments", "transfers")
# What a fresh account still has to provide (``business_profile.url`` unless given).
ONBOARDING_DUE = ("business_profile.url", "external_account", "tos_acceptance.date", "tos_acceptance.ip")
PENDING_VERIFICATION = ("individual.verification.document",)
LINK_LIFETIME = 300  # seconds an account link is valid

PROFILE_FIELDS = ("mcc", "name", "product_description", "support_email", "support_phone", "support_url",
                  "url")  # business_profile[...] the API takes


def _controller(account_type: str) -> dict[str, Any]:
    """Who pays Stripe's fees, bears losses and collects requirements, per account type."""
    platform_pays = account_type != "standard"
    return {
        "fees": {"payer": "application" if platform_pays else "account"},
        "is_controller": True,
        "losses": {"payments": "application" if platform_pays else "stripe"},
        "requirement_collection": "application" if account_type == "custom" else "stripe",
        "stripe_dashboard": {"type": {"standard": "full", "express": "express"}.get(account_type, "none")},
        "type": "application",
    }


def requirements(
    due: list[str], disabled_reason: str | None, pending: list[str] | None = None
) -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": disabled_reason,
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": list(pending or []),
    }


def account(
    *,
    account_type: str,
    country: str,
    email: str | None,
    business_type: str | None,
    business_profile: dict[str, Any],
    capabilities: list[str],
    default_currency: str,
    metadata: dict[str, str],
    created: int,
) -> dict[str, Any]:
    account_id = new_id("acct_", 16)
    profile = {
        "annual_revenue": None,
        "estimated_worker_count": None,
        "minority_owned_business_designation": None,
        "product_description": None,
        "support_address": None,
        **dict.fromkeys(PROFILE_FIELDS),
        **business_profile,
    }
    obj = {
        "id": account_id,
        "object": "account",
        "business_profile": dict(sorted(profile.items())),
        "business_type": business_type,
        "capabilities": dict.fromkeys(capabilities, "inactive"),
        "charges_enabled": False,
        "controller": _controller(account_type),
        "country": country,
        "created": created,
        "default_currency": default_currency,
        "details_submitted": False,
        "email": email,
        "external_accounts": list_object([], f"/v1/accounts/{account_id}/external_accounts"),
        "future_requirements": requirements([], None),
        "metadata": metadata,
        "payouts_enabled": False,
        "requirements": requirements([], None),
        "settings": _settings(profile["name"], default_currency),
        "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
        "type": account_type,
    }
    set_state(obj, details_submitted=False, charges_enabled=False, payouts_enabled=False)
    return obj


def _settings(display_name: str | None, currency: str) -> dict[str, Any]:
    return {
        "bacs_debit_payments": {"display_name": None, "service_user_number": None},
        "branding": {"icon": None, "logo": None, "primary_color": None, "secondary_color": None},
        "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
        "card_payments": {
            "decline_on": {"avs_failure": False, "cvc_failure": False},
            "statement_descriptor_prefix": None,
            "statement_descriptor_prefix_kana": None,
            "statement_descriptor_prefix_kanji": None,
        },
        "dashboard": {"display_name": display_name, "timezone": "Europe/Amsterdam"},
        "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": "offer"},
        "payments": {
            "statement_descriptor": None,
            "statement_descriptor_kana": None,
            "statement_descriptor_kanji": None,
            "statement_descriptor_prefix_kana": None,
            "statement_descriptor_prefix_kanji": None,
        },
        "payouts": {
            "debit_negative_balances": True,
            "schedule": {"delay_days": 7, "interval": "daily"},
            "statement_descriptor": None,
        },
        "sepa_debit_payments": {},
    }


def deleted_account(account_id: str) -> dict[str, Any]:
    return {"id": account_id, "object": "account", "deleted": True}


def shop_name(obj: dict[str, Any]) -> str:
    """How the account shows itself to buyers."""
    return obj["business_profile"]["name"] or obj["settings"]["dashboard"]["display_name"] or obj["id"]


def set_state(
    obj: dict[str, Any], *, details_submitted: bool, charges_enabled: bool, payouts_enabled: bool
) -> None:
    """Set the flags, and the capabilities and requirements that go with them."""
    obj.update(
        details_submitted=details_submitted, charges_enabled=charges_enabled, payouts_enabled=payouts_enabled
    )
    if charges_enabled:
        status, reqs = "active", requirements([], None)
    elif details_submitted:
        status = "pending"
        reqs = requirements([], "requirements.pending_verification", list(PENDING_VERIFICATION))
    else:
        due = [
            item
            for item in ONBOARDING_DUE
            if not (item == "business_profile.url" and obj["business_profile"]["url"])
            and not (item == "external_account" and obj["external_accounts"]["data"])
            and not (item.startswith("tos_acceptance.") and obj["tos_acceptance"]["date"])
        ]
        status, reqs = "inactive", requirements(due, "requirements.past_due")
    obj["capabilities"] = dict.fromkeys(obj["capabilities"], status)
    obj["requirements"] = reqs


def onboard(
    obj: dict[str, Any],
    *,
    business_name: str,
    iban: str,
    outcome: str,
    at: int,
    ip: str,
    user_agent: str | None,
) -> None:
    """What submitting the onboarding form does: ``complete`` enables charges and payouts,
    ``pending`` leaves them off while verification is pending."""
    obj["business_profile"]["name"] = business_name
    obj["settings"]["dashboard"]["display_name"] = business_name
    bank = bank_account(obj["id"], iban, business_name, obj["default_currency"])
    for existing in obj["external_accounts"]["data"]:
        existing["default_for_currency"] = False
    obj["external_accounts"]["data"].insert(0, bank)
    obj["tos_acceptance"] = {"date": at, "ip": ip, "user_agent": user_agent}
    complete = outcome == "complete"
    set_state(obj, details_submitted=True, charges_enabled=complete, payouts_enabled=complete)


def bank_account(account_id: str, iban: str, holder: str, currency: str) -> dict[str, Any]:
    """A payout bank account (an external account) for a well-formed IBAN."""
    bank = next((name for name, (bic, _) in IDEAL_BANKS.items() if bic[:4] == iban[4:8]), None)
    return {
        "id": new_id("ba_"),
        "object": "bank_account",
        "account": account_id,
        "account_holder_name": holder,
        "account_holder_type": "company",
        "account_type": None,
        "available_payout_methods": ["standard"],
        "bank_name": bank.replace("_", " ").upper() if bank else "STRIPE TEST BANK",
        "country": iban[:2],
        "currency": currency,
        "default_for_currency": True,
        "fingerprint": hashlib.sha256(iban.encode()).hexdigest()[:16],
        "last4": iban[-4:],
        "metadata": {},
        "routing_number": None,
        "status": "new",
    }


def application(store: Store) -> dict[str, Any]:
    """The platform's Connect application, as ``account.application.*`` events show it."""
    return {"id": store.application, "object": "application", "name": PLATFORM_NAME}


def account_link(url: str, created: int) -> dict[str, Any]:
    return {"object": "account_link", "created": created, "expires_at": created + LINK_LIFETIME, "url": url}


def link_key(token: str) -> str:
    """Where an account link's details (account, URLs, ``used``) are kept in ``store.internal``."""
    return f"account_link:{token}"


def revoked(store: Store, account_id: str) -> bool:
    return bool(store.internal.get(account_id, {}).get("revoked"))


def reachable(store: Store, account_id: str) -> dict[str, Any] | None:
    """The account, unless it does not exist, was deleted or deauthorized the platform."""
    obj = store.get("account", account_id, everywhere=True)
    return None if obj is None or revoked(store, account_id) else obj


def require_access(store: Store, account_id: str, key: str) -> dict[str, Any]:
    """The account the platform's ``key`` acts for, or Stripe's 403."""
    obj = reachable(store, account_id)
    if obj is None:
        raise no_access(account_id, key)
    return obj


def require_charges(store: Store) -> None:
    """Refuse a payment for the acting connected account unless it can take charges."""
    account_id = store.account
    if not isinstance(account_id, str):
        return
    obj = reachable(store, account_id)
    if obj is None or not obj["charges_enabled"]:
        raise charges_disabled(account_id)


def no_access(account_id: str, key: str) -> StripeError:
    masked = f"{key[:8]}{'*' * max(len(key) - 12, 4)}{key[-4:] if len(key) > 12 else ''}"
    return StripeError(
        f"The provided key '{masked}' does not have access to account '{account_id}' (or that account "
        "does not exist). Application access may have been revoked.",
        status=403,
        code="account_invalid",
    )


def charges_disabled(account_id: str) -> StripeError:
    return StripeError(
        f"This Connect account ({account_id}) cannot currently make charges. The "
        "`requirements.disabled_reason` property on the account will provide information about why "
        "this account is currently disabled.",
        code="account_invalid",
    )
