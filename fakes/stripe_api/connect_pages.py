"""The hosted onboarding page an account link leads to (``/connect/onboarding/<token>``).

Its form (ids equal to the names, for browser tests): ``business_name``, ``iban`` (for
payouts), ``outcome`` (``complete``: charges and payouts enabled; ``pending``: details
submitted, verification pending) and the "Agree and submit" button. A link works once and
for :data:`~.accounts.LINK_LIFETIME` seconds of the fake clock; after that it redirects to
its ``refresh_url``, as Stripe's do.
"""

from typing import Any

from flask import Blueprint, redirect, render_template, request

from . import accounts, payment_methods
from .errors import StripeError, invalid
from .pages import message
from .state import atomic, fake

connect_pages = Blueprint("connect_pages", __name__)

OUTCOMES = {
    "complete": "Complete: verified, charges and payouts enabled",
    "pending": "Pending: details submitted, verification pending",
}
TEST_IBAN = "NL39RABO0300065264"


def _usable_link(token: str) -> tuple[dict[str, Any] | None, Any]:
    """``(link, None)``, or ``(None, the answer)`` for an unknown, used or expired link."""
    store = fake().store
    link = store.internal.get(accounts.link_key(token))
    if link is None:
        return None, message("Not found", "This onboarding link is not valid.", 404)
    if link["used"] or store.now() >= link["expires_at"]:
        return None, redirect(link["refresh_url"], 303)
    if accounts.reachable(store, link["account"]) is None:
        return None, message("Not found", "This account is no longer connected.", 404)
    return link, None


@connect_pages.get("/connect/onboarding/<token>")
@atomic
def onboarding(token: str) -> Any:
    link, answer = _usable_link(token)
    if link is None:
        return answer
    account = fake().store.require("account", link["account"], everywhere=True)
    form = {
        "business_name": account["business_profile"]["name"] or "",
        "iban": TEST_IBAN,
        "outcome": "complete",
    }
    return _page(account, link, form)


@connect_pages.post("/connect/onboarding/<token>")
@atomic
def submit_onboarding(token: str) -> Any:
    link, answer = _usable_link(token)
    if link is None:
        return answer
    store = fake().store
    account = store.require("account", link["account"], everywhere=True)
    form = {name: request.form.get(name, "").strip() for name in ("business_name", "iban", "outcome")}
    try:
        if not form["business_name"]:
            raise invalid("Enter the name of your business.", param="business_name")
        iban = payment_methods.check_iban(form["iban"])
        if (form["outcome"] or "complete") not in OUTCOMES:
            raise invalid("Invalid outcome: must be one of complete, pending.", param="outcome")
    except StripeError as error:
        return _page(account, link, form, error=error.message, status=error.status)
    at = store.now()
    with fake().webhooks.updating(account, at):
        accounts.onboard(
            account,
            business_name=form["business_name"],
            iban=iban,
            outcome=form["outcome"] or "complete",
            at=at,
            ip=request.remote_addr or "127.0.0.1",
            user_agent=request.user_agent.string or None,
        )
    link["used"] = True
    return redirect(link["return_url"], 303)


def _page(
    account: dict[str, Any],
    link: dict[str, Any],
    form: dict[str, str],
    *,
    error: str | None = None,
    status: int = 200,
) -> Any:
    page = render_template(
        "onboarding.html",
        account=account,
        link=link,
        form=form,
        error=error,
        outcomes=OUTCOMES,
        platform=accounts.PLATFORM_NAME,
    )
    return page, status
