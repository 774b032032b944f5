"""``/v1`` Connect: connected accounts and account links (the onboarding page they lead to
is in :mod:`.connect_pages`)."""

import re
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response

from . import accounts
from .errors import invalid
from .objects import paginate
from .params import Params
from .state import base_url, fake
from .store import new_id
from .wire import api_call, api_key, request_params, respond

connect_api = Blueprint("connect_api", __name__, url_prefix="/v1")

_CURRENCIES = {
    "US": "usd",
    "GB": "gbp",
    "CH": "chf",
    "DK": "dkk",
    "SE": "sek",
    "NO": "nok",
    "PL": "pln",
    "CZ": "czk",
    "HU": "huf",
    "RO": "ron",
    "BG": "bgn",
    "CA": "cad",
    "AU": "aud",
}


@connect_api.post("/accounts")
@api_call
def create_account() -> Response:
    params, store = request_params(), fake().store
    country = (params.text("country") or "NL").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise invalid(
            f"Country '{country}' is unknown. Try using a 2-character alphanumeric country code "
            "instead, such as 'US', 'EG', or 'GB'.",
            param="country",
        )
    account = accounts.account(
        account_type=params.choice("type", accounts.ACCOUNT_TYPES, default="standard"),
        country=country,
        email=params.text("email"),
        business_type=_business_type(params),
        business_profile=_business_profile(params),
        capabilities=_capabilities(params),
        default_currency=(params.text("default_currency") or _CURRENCIES.get(country, "eur")).lower(),
        metadata=params.metadata(),
        created=store.now(),
    )
    store.add(account, account=None)  # accounts are the platform's
    return respond(account, params)


def _business_type(params: Params) -> str | None:
    if "business_type" not in params:
        return None
    return params.choice("business_type", accounts.BUSINESS_TYPES)


def _business_profile(params: Params, current: dict[str, Any] | None = None) -> dict[str, Any]:
    profile = params.nested("business_profile")
    changes = dict(current or {})
    for name in (
        "mcc",
        "name",
        "product_description",
        "support_email",
        "support_phone",
        "support_url",
        "url",
    ):
        if name in profile:
            changes[name] = profile.text(name) or None
    return changes


def _capabilities(params: Params) -> list[str]:
    given = params.nested("capabilities")
    requested = []
    for name in given.names():
        if name not in accounts.CAPABILITIES:
            raise invalid(f"Invalid capability: {name}.", param=given.param(name))
        if given.nested(name).flag("requested", default=False):
            requested.append(name)
    return requested or list(accounts.DEFAULT_CAPABILITIES)


def _reachable(account_id: str) -> dict[str, Any]:
    return accounts.require_access(fake().store, account_id, api_key())


@connect_api.get("/accounts")
@api_call
def list_accounts() -> Response:
    params, store = request_params(), fake().store
    found = [
        account
        for account in store.all("account", everywhere=True)
        if not accounts.revoked(store, account["id"])
    ]
    return respond(paginate(found, params, "/v1/accounts"), params)


@connect_api.get("/accounts/<account_id>")
@api_call
def retrieve_account(account_id: str) -> Response:
    return respond(_reachable(account_id), request_params())


@connect_api.get("/account")
@api_call
def retrieve_current_account() -> Response:
    """The account of the ``Stripe-Account`` header (the local Stripe has no platform account)."""
    account_id = fake().store.account
    if not isinstance(account_id, str):
        raise invalid("The local Stripe only knows connected accounts: send the Stripe-Account header.")
    return respond(_reachable(account_id), request_params())


@connect_api.post("/accounts/<account_id>")
@api_call
def update_account(account_id: str) -> Response:
    params, store = request_params(), fake().store
    account = _reachable(account_id)
    changes: dict[str, Any] = {"metadata": params.metadata(account["metadata"])}
    if "email" in params:
        changes["email"] = params.text("email") or None
    if "business_type" in params:
        changes["business_type"] = _business_type(params)
    if "default_currency" in params:
        changes["default_currency"] = (params.text("default_currency", required=True) or "").lower()
    if "business_profile" in params:
        changes["business_profile"] = _business_profile(params, account["business_profile"])
    with fake().webhooks.updating(account, store.now()):
        account.update(changes)
    return respond(account, params)


@connect_api.delete("/accounts/<account_id>")
@api_call
def delete_account(account_id: str) -> Response:
    store = fake().store
    _reachable(account_id)
    store.remove("account", account_id)
    store.internal[account_id]["revoked"] = True
    return respond(accounts.deleted_account(account_id))


@connect_api.post("/account_links")
@api_call
def create_account_link() -> Response:
    params, store = request_params(), fake().store
    account_id = params.text("account", required=True) or ""
    if accounts.reachable(store, account_id) is None:
        raise invalid(f"No such account: '{account_id}'", param="account", code="resource_missing")
    link_type = params.choice("type", ("account_onboarding", "account_update"), default="account_onboarding")
    urls = {name: _url(params, name) for name in ("refresh_url", "return_url")}
    if "collect" in params:
        params.choice("collect", ("currently_due", "eventually_due"))
    token = new_id("", 32)
    link = accounts.account_link(f"{base_url()}/connect/onboarding/{token}", store.now())
    store.internal[accounts.link_key(token)] = {
        "account": account_id,
        "type": link_type,
        "expires_at": link["expires_at"],
        "used": False,
        **urls,
    }
    return respond(link, params)


def _url(params: Params, name: str) -> str:
    url = params.text(name, required=True) or ""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(f"Not a valid URL: {url}", param=name, code="url_invalid")
    return url
