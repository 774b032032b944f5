"""The hosted pages: Checkout and the billing portal (invoices are in :mod:`.invoice_pages`)."""

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from . import payment_methods, tax
from .billing_objects import format_amount
from .checkout import complete_checkout, read_payment
from .checkout_params import collects_address
from .errors import StripeError
from .params import Params
from .state import atomic, fake

pages = Blueprint("pages", __name__)

METHOD_NAMES = {
    "card": "Card",
    "ideal": "iDEAL",
    "sepa_debit": "SEPA Direct Debit",
    "bancontact": "Bancontact",
}


@pages.app_template_filter("money")
def money(amount: int, currency: str) -> str:
    return format_amount(amount, currency)


@pages.app_template_filter("date")
def date(timestamp: int) -> str:
    moment = datetime.fromtimestamp(timestamp, UTC)
    return f"{moment.day} {moment:%b %Y}"


def message(heading: str, text: str, status: int, link: str | None = None) -> Any:
    return render_template("message.html", heading=heading, message=text, link=link), status


@pages.get("/checkout/pay/<session_id>")
@atomic
def checkout(session_id: str) -> Any:
    session = fake().store.get("checkout.session", session_id)
    if session is None:
        return message("Not found", "This checkout link is not valid.", 404)
    return _checkout_page(session)


@pages.post("/checkout/pay/<session_id>")
@atomic
def pay_checkout(session_id: str) -> Any:
    session = fake().store.get("checkout.session", session_id)
    if session is None:
        return message("Not found", "This checkout link is not valid.", 404)
    form = request.form.to_dict()
    try:
        complete_checkout(fake().billing(), session, read_payment(Params(form)))
    except StripeError as error:
        return _checkout_page(session, error=error.message, form=form, status=error.status)
    if session["success_url"] is None:
        return message("Thank you", "Your subscription is active.", 200)
    return redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"]), 303)


def _checkout_page(
    session: dict[str, Any],
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    if session["status"] != "open":
        text = f"This checkout session is {session['status']}."
        link = session["cancel_url"]
        if session["status"] == "complete" and session["success_url"]:
            link = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
        return message("Checkout unavailable", text, status, link)
    store = fake().store
    lines = []
    for item in store.internal[session["id"]]["line_items"]:
        product = store.require("product", item["price"]["product"])
        lines.append({"price": item["price"], "product": product, "quantity": item["quantity"]})
    page = render_template(
        "checkout.html",
        session=session,
        lines=lines,
        error=error,
        form=form or {},
        cancel_url=session["cancel_url"],
        ask_email=not session["customer"] and not session["customer_email"],
        ask_address=collects_address(session),
        countries=sorted(tax.COUNTRY_NAMES.items(), key=lambda country: country[1]),
        banks=payment_methods.IDEAL_BANKS,
        method_names=METHOD_NAMES,
    )
    return page, status


@pages.get("/billing_portal/<session_id>")
@atomic
def portal(session_id: str) -> Any:
    portal_session = fake().store.get("billing_portal.session", session_id)
    if portal_session is None:
        return message("Not found", "This billing portal link is not valid.", 404)
    return _portal_page(portal_session, notice=request.args.get("notice"))


def _portal_page(
    portal_session: dict[str, Any],
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Any:
    store = fake().store
    customer_id = portal_session["customer"]
    subscriptions = [
        sub
        for sub in store.all("subscription")
        if sub["customer"] == customer_id and sub["status"] != "canceled"
    ]
    plans = [price for price in reversed(store.all("price")) if _is_plan(price)]
    page = render_template(
        "portal.html",
        portal=portal_session,
        customer=store.require("customer", customer_id),
        subscriptions=subscriptions,
        plans=plans,
        products={product["id"]: product for product in store.all("product")},
        invoices=[
            inv for inv in store.all("invoice") if inv["customer"] == customer_id and inv["status"] != "draft"
        ],
        notice=notice,
        error=error,
    )
    return page, status


@pages.post("/billing_portal/<session_id>/<any(plan, cancel, resume, card):action>")
@atomic
def portal_action(session_id: str, action: str) -> Any:
    """Apply one portal form, then show the portal again (POST/redirect/GET)."""
    store = fake().store
    portal_session = store.get("billing_portal.session", session_id)
    if portal_session is None:
        return message("Not found", "This billing portal link is not valid.", 404)
    billing = fake().billing()
    if action == "card":
        if not billing.pay_open_invoices(portal_session["customer"], request.form.get("card", "")):
            return _portal_page(portal_session, error="Your card was declined.", status=402)
        return _back_to_portal(session_id, "Your payment method was updated.")
    subscription = store.get("subscription", request.form.get("subscription", ""))
    if subscription is None or subscription["customer"] != portal_session["customer"]:
        return _portal_page(portal_session, error="Unknown subscription.", status=400)
    if subscription["status"] == "canceled":
        return _portal_page(portal_session, error="This subscription has ended.", status=400)
    price = store.get("price", request.form.get("price", ""))
    if action == "plan" and not (price and _is_plan(price)):
        return _portal_page(portal_session, error="Unknown plan.", status=400)
    with fake().webhooks.updating(subscription, store.now()):
        if action == "plan" and price:
            for item in subscription["items"]["data"]:
                billing.set_item_price(item, price)
            notice = "Your plan was updated."
        else:
            billing.set_cancel_at_period_end(subscription, action == "cancel", store.now())
            notice = "Your plan will be canceled." if action == "cancel" else "Your plan will renew."
    return _back_to_portal(session_id, notice)


def _is_plan(price: dict[str, Any]) -> bool:
    """The portal offers the active recurring prices that have a lookup key."""
    return bool(price["active"] and price["recurring"] and price["lookup_key"])


def _back_to_portal(session_id: str, notice: str) -> Response:
    return redirect(url_for("pages.portal", session_id=session_id, notice=notice), 303)
