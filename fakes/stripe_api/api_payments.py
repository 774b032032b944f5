"""``/v1`` one-off payments, read-only: PaymentIntents, Charges and the platform's
application fees (all made by paying a ``payment``-mode Checkout Session, see
:mod:`.payments`), and shipping rates."""

from typing import Any

from flask import Blueprint, Response

from . import shipping
from .expand import Includes
from .objects import list_object, paginate
from .state import fake
from .wire import api_call, request_params, respond

payments_api = Blueprint("payments_api", __name__, url_prefix="/v1")


@payments_api.get("/payment_intents/<intent_id>")
@api_call
def retrieve_payment_intent(intent_id: str) -> Response:
    return respond(fake().store.require("payment_intent", intent_id), request_params())


@payments_api.get("/payment_intents")
@api_call
def list_payment_intents() -> Response:
    params = request_params()
    intents = fake().store.all("payment_intent")
    if (customer := params.text("customer")) is not None:
        intents = [intent for intent in intents if intent["customer"] == customer]
    return respond(paginate(intents, params, "/v1/payment_intents"), params)


def charge_includes(charge_id: str) -> Includes:
    """``expand[]=refunds``: the charge's refunds, which Stripe no longer includes by default."""
    store = fake().store

    def refunds(_paths: list[str]) -> dict[str, Any]:
        found = [refund for refund in store.all("refund") if refund["charge"] == charge_id]
        return list_object(found, f"/v1/charges/{charge_id}/refunds")

    return {"refunds": refunds}


@payments_api.get("/charges/<charge_id>")
@api_call
def retrieve_charge(charge_id: str) -> Response:
    return respond(fake().store.require("charge", charge_id), request_params(), charge_includes(charge_id))


@payments_api.get("/charges")
@api_call
def list_charges() -> Response:
    params = request_params()
    charges = fake().store.all("charge")
    for field in ("payment_intent", "customer"):
        if (value := params.text(field)) is not None:
            charges = [charge for charge in charges if charge[field] == value]
    return respond(paginate(charges, params, "/v1/charges"), params)


@payments_api.get("/application_fees/<fee_id>")
@api_call
def retrieve_application_fee(fee_id: str) -> Response:
    return respond(fake().store.require("application_fee", fee_id), request_params())


@payments_api.get("/application_fees")
@api_call
def list_application_fees() -> Response:
    params = request_params()
    fees = fake().store.all("application_fee")
    if (charge := params.text("charge")) is not None:
        fees = [fee for fee in fees if fee["charge"] == charge]
    return respond(paginate(fees, params, "/v1/application_fees"), params)


@payments_api.post("/shipping_rates")
@api_call
def create_shipping_rate() -> Response:
    params, store = request_params(), fake().store
    rate = store.add(shipping.read_rate(params, store.now()))
    return respond(rate, params)


@payments_api.get("/shipping_rates/<rate_id>")
@api_call
def retrieve_shipping_rate(rate_id: str) -> Response:
    return respond(fake().store.require("shipping_rate", rate_id), request_params())


@payments_api.post("/shipping_rates/<rate_id>")
@api_call
def update_shipping_rate(rate_id: str) -> Response:
    """``active``, ``metadata`` and ``tax_behavior`` may change, as with Stripe."""
    params, store = request_params(), fake().store
    rate = store.require("shipping_rate", rate_id)
    rate["active"] = params.flag("active", default=rate["active"])
    rate["metadata"] = params.metadata(rate["metadata"])
    if "tax_behavior" in params:
        rate["tax_behavior"] = params.choice("tax_behavior", ("inclusive", "exclusive", "unspecified"))
    return respond(rate, params)


@payments_api.get("/shipping_rates")
@api_call
def list_shipping_rates() -> Response:
    params = request_params()
    rates = fake().store.all("shipping_rate")
    if (active := params.flag("active")) is not None:
        rates = [rate for rate in rates if rate["active"] == active]
    return respond(paginate(rates, params, "/v1/shipping_rates"), params)
