"""``/v1`` subscriptions (list, retrieve, update with proration, cancel) and invoice previews.

``POST /v1/subscriptions/:id`` takes ``items[i][id|price|quantity]``,
``proration_behavior``, ``proration_date``, ``billing_cycle_anchor``,
``payment_behavior`` (see :mod:`.plan_changes`), ``cancel_at_period_end`` with
``cancellation_details[feedback|comment]``, ``discounts[][coupon|promotion_code]`` and
``metadata``. ``POST /v1/invoices/create_preview`` takes ``subscription`` (or
``customer``) and ``subscription_details[...]`` with the same meanings.
"""

from typing import Any

from flask import Blueprint, Response

from . import discounts, trials
from .billing import require_recurring
from .errors import invalid
from .objects import paginate
from .params import Params
from .plan_changes import PAYMENT_BEHAVIORS, change_plan, preview
from .proration import ANCHORS, PRORATION_BEHAVIORS, Change, Options
from .renewals import renew
from .state import fake
from .wire import api_call, request_params, respond

subscriptions_api = Blueprint("subscriptions_api", __name__, url_prefix="/v1")

SUBSCRIPTION_STATUSES = ("active", "past_due", "unpaid", "canceled", "incomplete", "incomplete_expired",
                         "trialing", "paused", "all", "ended")  # fmt: skip
FEEDBACK = ("customer_service", "low_quality", "missing_features", "other", "switched_service",
            "too_complex", "too_expensive", "unused")  # fmt: skip


@subscriptions_api.get("/subscriptions")
@api_call
def list_subscriptions() -> Response:
    params = request_params()
    subscriptions = fake().store.all("subscription")
    if (customer := params.text("customer")) is not None:
        subscriptions = [sub for sub in subscriptions if sub["customer"] == customer]
    status = params.choice("status", SUBSCRIPTION_STATUSES, default="not canceled")
    if status == "ended":
        subscriptions = [sub for sub in subscriptions if sub["status"] == "canceled"]
    elif status == "not canceled":
        subscriptions = [sub for sub in subscriptions if sub["status"] != "canceled"]
    elif status != "all":
        subscriptions = [sub for sub in subscriptions if sub["status"] == status]
    return respond(paginate(subscriptions, params, "/v1/subscriptions"), params)


@subscriptions_api.get("/subscriptions/<subscription_id>")
@api_call
def retrieve_subscription(subscription_id: str) -> Response:
    return respond(fake().store.require("subscription", subscription_id), request_params())


def read_changes(subscription: dict[str, Any], records: list[Params]) -> list[Change]:
    store = fake().store
    items = {item["id"] for item in subscription["items"]["data"]}
    changes = []
    for change in records:
        item_id = change.text("id")
        if item_id is None:
            raise invalid("This local Stripe cannot add items to a subscription; pass `id`.",
                          param=change.param("id"))  # fmt: skip
        if item_id not in items:
            raise invalid(f"No such subscription item: '{item_id}'", param=change.param("id"),
                          code="resource_missing")  # fmt: skip
        price = None
        if (price_id := change.text("price")) is not None:
            price = store.require("price", price_id, change.param("price"))
            require_recurring(price, change.param("price"))
            if price["currency"] != subscription["currency"]:
                raise invalid("The price's currency must match the subscription's.",
                              param=change.param("price"))  # fmt: skip
        changes.append(Change(item_id, price, change.integer("quantity", minimum=1)))
    return changes


def read_options(params: Params) -> Options:
    return Options(
        proration_behavior=params.choice(
            "proration_behavior", PRORATION_BEHAVIORS, default="create_prorations"
        ),
        proration_date=params.integer("proration_date"),
        billing_cycle_anchor=params.choice("billing_cycle_anchor", ANCHORS, default="unchanged"),
    )


@subscriptions_api.post("/subscriptions/<subscription_id>")
@api_call
def update_subscription(subscription_id: str) -> Response:
    params, store = request_params(), fake().store
    subscription = store.require("subscription", subscription_id)
    details = params.nested("cancellation_details")
    feedback = details.choice("feedback", (*FEEDBACK, ""), default=None) if "feedback" in details else None
    comment = details.text("comment")
    allowed_when_ended = {"cancellation_details", "metadata", "expand"}
    if subscription["status"] == "canceled" and set(params.names()) - allowed_when_ended:
        raise invalid("A canceled subscription can only update its cancellation_details and metadata.")
    changes = read_changes(subscription, params.records("items"))
    options = read_options(params)
    payment_behavior = params.choice("payment_behavior", PAYMENT_BEHAVIORS, default="allow_incomplete")
    cancel_at_period_end = params.flag("cancel_at_period_end")
    metadata = params.metadata(subscription["metadata"])
    billing, now = fake().billing(), store.now()
    found = None
    if "discounts" in params:
        found = discounts.resolve(store, params.records("discounts"), subscription["customer"],
                                  subscription["currency"], now)  # fmt: skip
    if changes or options.billing_cycle_anchor == "now":
        change_plan(billing, subscription, changes, options, payment_behavior, now)
    if "trial_end" in params:
        if params.text("trial_end") != "now" or subscription["status"] != "trialing":
            raise invalid("Only a trialing subscription's trial can be ended, with `trial_end=now`.",
                          param="trial_end")
        trials.end_now(subscription, now)
        renew(billing, subscription, now)
    with fake().webhooks.updating(subscription, now):
        if cancel_at_period_end is not None:
            billing.set_cancel_at_period_end(subscription, cancel_at_period_end, now)
        cancellation = subscription["cancellation_details"]
        if feedback is not None:
            cancellation["feedback"] = feedback or None
        if comment is not None:
            cancellation["comment"] = comment or None
        if found is not None:
            subscription["discounts"] = [
                discounts.redeem(
                    store,
                    coupon,
                    promo,
                    customer_id=subscription["customer"],
                    subscription_id=subscription["id"],
                    at=now,
                )["id"]  # fmt: skip
                for coupon, promo in found
            ]
        subscription["metadata"] = metadata
    return respond(subscription, params)


@subscriptions_api.delete("/subscriptions/<subscription_id>")
@api_call
def cancel_subscription(subscription_id: str) -> Response:
    params, store = request_params(), fake().store
    subscription = store.require("subscription", subscription_id)
    details = params.nested("cancellation_details")
    if "feedback" in details:
        subscription["cancellation_details"]["feedback"] = details.choice("feedback", FEEDBACK)
    if (comment := details.text("comment")) is not None:
        subscription["cancellation_details"]["comment"] = comment or None
    fake().billing().cancel(subscription, store.now(), "cancellation_requested")
    return respond(subscription, params)


@subscriptions_api.post("/invoices/create_preview")
@api_call
def create_preview() -> Response:
    params, store = request_params(), fake().store
    subscription_id = params.text("subscription")
    customer_id = params.text("customer")
    if subscription_id is None:
        if customer_id is None:
            raise invalid("You must specify either `customer` or `subscription`.", param="subscription")
        store.require("customer", customer_id, "customer")
        running = [sub for sub in store.all("subscription")
                   if sub["customer"] == customer_id and sub["status"] != "canceled"]  # fmt: skip
        if not running:
            raise invalid(f"No upcoming invoices for customer: {customer_id}", code="invoice_upcoming_none")
        subscription = running[0]
    else:
        subscription = store.require("subscription", subscription_id, "subscription")
    details = params.nested("subscription_details")
    changes = read_changes(subscription, details.records("items"))
    ending = details.flag("cancel_at_period_end")
    invoice = preview(store, subscription, changes, read_options(details), ending, store.now())
    return respond(invoice, params)
