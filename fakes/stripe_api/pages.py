"""The hosted pages: Checkout and the billing portal (invoices are in :mod:`.invoice_pages`,
payment-mode Checkout in :mod:`.payment_pages`, Connect onboarding in :mod:`.connect_pages`).

A session is paid as the account owning it (a connected account's, or the platform's)."""

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from . import payment_methods, payment_pages, portal_config, tax, trials
from .billing_objects import format_amount
from .checkout import complete_checkout, read_payment
from .checkout_params import collects_address
from .errors import StripeError
from .params import Params
from .plan_changes import change_plan
from .proration import Change, Options
from .state import atomic, fake

pages = Blueprint("pages", __name__)

FEEDBACK_LABELS = {
    "customer_service": "Customer service was less than expected",
    "low_quality": "Quality was less than expected",
    "missing_features": "Some features are missing",
    "other": "Other reason",
    "switched_service": "I'm switching to a different service",
    "too_complex": "Ease of use was less than expected",
    "too_expensive": "It's too expensive",
    "unused": "I don't use the service enough",
}

METHOD_NAMES = {
    "card": "Card",
    "ideal": "iDEAL",
    "sepa_debit": "SEPA Direct Debit",
    "bancontact": "Bancontact",
    "none": "Start the trial without a payment method",
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
    if session["mode"] == "payment":
        failed = payment_pages.submit(session, form, METHOD_NAMES)
        if failed is not None:
            return failed
    else:
        try:
            with fake().store.scoped(fake().store.owner(session_id)):
                complete_checkout(fake().billing(), session, read_payment(Params(form)))
        except StripeError as error:
            return _checkout_page(session, error=error.message, form=form, status=error.status)
    if session["success_url"] is None:
        done = "Your payment was received."
        if session["mode"] == "subscription":
            done = "Your subscription is active."
        return message("Thank you", done, 200)
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
    if session["mode"] == "payment":
        return payment_pages.render(session, METHOD_NAMES, error=error, form=form, status=status)
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
        allow_none=trials.may_skip_payment_method(session, store.internal[session["id"]]),
        trial_days=store.internal[session["id"]].get("trial_period_days"),
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
    config = store.require("billing_portal.configuration", portal_session["configuration"])
    subscriptions = [
        sub
        for sub in store.all("subscription")
        if sub["customer"] == customer_id and sub["status"] != "canceled"
    ]
    page = render_template(
        "portal.html",
        portal=portal_session,
        features=config["features"],
        business=config["business_profile"],
        customer=store.require("customer", customer_id),
        subscriptions=subscriptions,
        plans=portal_config.offered_prices(store, config) or [],
        products={product["id"]: product for product in store.all("product")},
        invoices=[
            inv for inv in store.all("invoice") if inv["customer"] == customer_id and inv["status"] != "draft"
        ],
        reasons=FEEDBACK_LABELS,
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
    features = store.require("billing_portal.configuration", portal_session["configuration"])["features"]
    billing, form = fake().billing(), request.form
    if action == "card":
        if not features["payment_method_update"]["enabled"]:
            return _portal_page(portal_session, error="Payment method updates are not available.", status=400)
        if not billing.pay_open_invoices(portal_session["customer"], form.get("card", "")):
            return _portal_page(portal_session, error="Your card was declined.", status=402)
        return _back_to_portal(session_id, "Your payment method was updated.")
    subscription = store.get("subscription", form.get("subscription", ""))
    if subscription is None or subscription["customer"] != portal_session["customer"]:
        return _portal_page(portal_session, error="Unknown subscription.", status=400)
    if subscription["status"] == "canceled":
        return _portal_page(portal_session, error="This subscription has ended.", status=400)
    try:
        notice = _portal_change(portal_session, subscription, action, features, form)
    except StripeError as failure:
        return _portal_page(portal_session, error=failure.message, status=failure.status)
    return _back_to_portal(session_id, notice)


def _portal_change(
    portal_session: dict[str, Any],
    subscription: dict[str, Any],
    action: str,
    features: dict[str, Any],
    form: Any,
) -> str:
    store, billing, now = fake().store, fake().billing(), fake().store.now()
    if action == "plan":
        offered = portal_config.offered_prices(store, store.require(
            "billing_portal.configuration", portal_session["configuration"]))  # fmt: skip
        price = store.get("price", form.get("price", ""))
        if not offered or price not in offered:
            raise StripeError("Unknown plan.")
        changes = [Change(item["id"], price, None) for item in subscription["items"]["data"]]
        options = Options(proration_behavior=features["subscription_update"]["proration_behavior"])
        change_plan(billing, subscription, changes, options, "allow_incomplete", now)
        return "Your plan was updated."
    if action == "resume":
        with fake().webhooks.updating(subscription, now):
            billing.set_cancel_at_period_end(subscription, False, now)
        return "Your plan will renew."
    cancel = features["subscription_cancel"]
    if not cancel["enabled"]:
        raise StripeError("Canceling is not available.")
    feedback = form.get("feedback") or None
    reasons = cancel["cancellation_reason"]
    if feedback is not None and not (reasons["enabled"] and feedback in reasons["options"]):
        raise StripeError("Choose one of the offered reasons.")
    if cancel["mode"] == "immediately":
        subscription["cancellation_details"]["feedback"] = feedback
        billing.cancel(subscription, now, "cancellation_requested")
        return "Your plan was canceled."
    with fake().webhooks.updating(subscription, now):
        billing.set_cancel_at_period_end(subscription, True, now)
        subscription["cancellation_details"]["feedback"] = feedback
    return "Your plan will be canceled."


def _back_to_portal(session_id: str, notice: str) -> Response:
    return redirect(url_for("pages.portal", session_id=session_id, notice=notice), 303)
