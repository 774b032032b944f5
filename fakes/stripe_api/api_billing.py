"""``/v1`` Checkout Sessions and invoices (subscriptions are in :mod:`.api_subscriptions`,
billing portal sessions in :mod:`.api_portal`, what ``mode=payment`` takes in
:mod:`.payment_sessions`)."""

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify

from . import accounts, checkout_objects, checkout_params, discounts, payment_sessions, trials
from .billing import require_recurring, subscription_of
from .billing_objects import describe_line
from .errors import invalid
from .expand import Includes, expand, included
from .objects import paginate
from .params import Params
from .state import base_url, fake
from .wire import api_call, request_params, respond

billing_api = Blueprint("billing_api", __name__, url_prefix="/v1")

@billing_api.post("/checkout/sessions")
@api_call
def create_checkout_session() -> Response:
    params, store = request_params(), fake().store
    mode = params.choice("mode", ("payment", "setup", "subscription"))
    if mode == "payment":
        session = payment_sessions.create(params, store, fake().webhooks, base_url())
        return respond(session, params, _includes(session["id"]))
    if mode != "subscription":
        raise invalid("This local Stripe supports only `mode=subscription` and `mode=payment`.", param="mode")
    accounts.require_charges(store)
    lines = [_checkout_line(line) for line in params.records("line_items", required=True)]
    if not lines:
        raise invalid("`line_items` must contain at least one item.", param="line_items")
    _check_same(lines, lambda price: price["currency"], "currency")
    _check_same(lines, lambda price: tuple(price["recurring"].values()), "billing interval")
    customer_id, customer_email = params.text("customer"), params.text("customer_email")
    if customer_id and customer_email:
        raise invalid(
            "You may only specify one of these parameters: customer, customer_email.",
            param="customer_email",
        )
    if customer_id and store.get("customer", customer_id) is None:
        raise invalid(f"No such customer: '{customer_id}'", param="customer", code="resource_missing")
    collection, settings = checkout_params.read(
        params, store.get("customer", customer_id or ""), lines[0][0]["currency"], store.settings
    )
    session = store.add(
        checkout_objects.checkout_session(
            mode="subscription",
            customer_id=customer_id,
            customer_email=customer_email,
            client_reference_id=params.text("client_reference_id"),
            metadata=params.metadata(),
            success_url=params.text("success_url"),
            cancel_url=params.text("cancel_url"),
            allow_promotion_codes=params.flag("allow_promotion_codes"),
            currency=lines[0][0]["currency"],
            amount=sum(price["unit_amount"] * quantity for price, quantity in lines),
            base_url=base_url(),
            created=store.now(),
            expires_at=checkout_params.expires_at(params),
            locale=checkout_params.read_locale(params),
        )
    )
    session.update(collection)
    trial_fields, trial_settings = trials.read_checkout(params)
    session.update(trial_fields)
    session["discounts"] = _session_discounts(params, customer_id, session["currency"])
    store.internal[session["id"]].update(
        **settings,
        **trial_settings,
        line_items=[_line_item(price, quantity) for price, quantity in lines],
        subscription_metadata=params.nested("subscription_data").metadata(),
    )
    return respond(session, params, _includes(session["id"]))


def _session_discounts(params: Params, customer_id: str | None, currency: str) -> list[dict[str, Any]]:
    """``discounts[][coupon|promotion_code]``, checked now and again at payment."""
    if "discounts" not in params:
        return []
    if params.flag("allow_promotion_codes"):
        raise invalid("You may only specify one of these parameters: allow_promotion_codes, discounts.",
                      param="discounts")  # fmt: skip
    store = fake().store
    found = discounts.resolve(store, params.records("discounts"), customer_id, currency, store.now())
    return [{"coupon": coupon["id"], "promotion_code": promo and promo["id"]} for coupon, promo in found]


def _checkout_line(line: Params) -> tuple[dict[str, Any], int]:
    price_id = line.text("price", required=True)
    price = fake().store.get("price", price_id)
    if price is None:
        raise invalid(f"No such price: '{price_id}'", param=line.param("price"), code="resource_missing")
    require_recurring(price, line.param("price"))
    return price, line.integer("quantity", default=1, minimum=1)


def _line_item(price: dict[str, Any], quantity: int) -> dict[str, Any]:
    product = fake().store.require("product", price["product"])
    description = describe_line(price, product["name"], quantity)
    return checkout_objects.checkout_line_item(price, quantity, description)


def _check_same(
    lines: list[tuple[dict[str, Any], int]], key: Callable[[dict[str, Any]], Any], what: str
) -> None:
    if len({key(price) for price, _ in lines}) > 1:
        raise invalid(f"All prices of a subscription must have the same {what}.", param="line_items")


@billing_api.get("/checkout/sessions")
@api_call
def list_checkout_sessions() -> Response:
    params = request_params()
    sessions = fake().store.all("checkout.session")
    for field in ("customer", "subscription", "status", "payment_intent"):
        if (value := params.text(field)) is not None:
            sessions = [session for session in sessions if session[field] == value]
    return respond(paginate(sessions, params, "/v1/checkout/sessions"), params)


@billing_api.get("/checkout/sessions/<session_id>")
@api_call
def retrieve_checkout_session(session_id: str) -> Response:
    session = fake().store.require("checkout.session", session_id)
    return respond(session, request_params(), _includes(session_id))


def _includes(session_id: str) -> Includes:
    """``expand[]=line_items`` (and ``line_items.data.taxes``...) adds the session's items."""
    store = fake().store
    url = f"/v1/checkout/sessions/{session_id}/line_items"

    def line_items(paths: list[str]) -> dict[str, Any]:
        items, rest = included(store.internal[session_id]["line_items"], "taxes", paths)
        return expand(paginate(items, Params({"limit": 100}), url), rest, store)

    return {"line_items": line_items}


@billing_api.get("/checkout/sessions/<session_id>/line_items")
@api_call
def list_checkout_line_items(session_id: str) -> Response:
    """The items; their ``taxes`` only with ``expand[]=data.taxes``, as Stripe includes them."""
    params, store = request_params(), fake().store
    store.require("checkout.session", session_id)
    items, paths = included(store.internal[session_id]["line_items"], "taxes", params.strings("expand"))
    page = paginate(items, params, f"/v1/checkout/sessions/{session_id}/line_items")
    return jsonify(expand(page, paths, store))


@billing_api.post("/checkout/sessions/<session_id>/expire")
@api_call
def expire_checkout_session(session_id: str) -> Response:
    store = fake().store
    session = store.require("checkout.session", session_id)
    fake().billing().expire_checkout(session, store.now())
    return respond(session, request_params(), _includes(session_id))


@billing_api.get("/invoices")
@api_call
def list_invoices() -> Response:
    params = request_params()
    invoices = fake().store.all("invoice")
    if (customer := params.text("customer")) is not None:
        invoices = [invoice for invoice in invoices if invoice["customer"] == customer]
    if (subscription := params.text("subscription")) is not None:
        invoices = [invoice for invoice in invoices if subscription_of(invoice) == subscription]
    if (status := params.text("status")) is not None:
        invoices = [invoice for invoice in invoices if invoice["status"] == status]
    return respond(paginate(invoices, params, "/v1/invoices"), params)


@billing_api.get("/invoices/<invoice_id>")
@api_call
def retrieve_invoice(invoice_id: str) -> Response:
    return respond(fake().store.require("invoice", invoice_id), request_params())


@billing_api.get("/invoices/<invoice_id>/lines")
@api_call
def list_invoice_lines(invoice_id: str) -> Response:
    params = request_params()
    lines = fake().store.require("invoice", invoice_id)["lines"]["data"]
    return respond(paginate(lines, params, f"/v1/invoices/{invoice_id}/lines"), params)
