"""``/v1`` refunds (what they do is in :mod:`.refunds`)."""

from flask import Blueprint, Response

from . import refunds
from .objects import paginate
from .state import fake
from .wire import api_call, request_params, respond

refunds_api = Blueprint("refunds_api", __name__, url_prefix="/v1")


@refunds_api.post("/refunds")
@api_call
def create_refund() -> Response:
    params = request_params()
    return respond(refunds.create(fake().store, fake().webhooks, params), params)


@refunds_api.get("/refunds/<refund_id>")
@api_call
def retrieve_refund(refund_id: str) -> Response:
    return respond(fake().store.require("refund", refund_id), request_params())


@refunds_api.post("/refunds/<refund_id>")
@api_call
def update_refund(refund_id: str) -> Response:
    """Only ``metadata`` changes, as with Stripe."""
    params, store = request_params(), fake().store
    made = store.require("refund", refund_id)
    with fake().webhooks.updating(made, store.now()):
        made["metadata"] = params.metadata(made["metadata"])
    return respond(made, params)


@refunds_api.get("/refunds")
@api_call
def list_refunds() -> Response:
    params = request_params()
    found = fake().store.all("refund")
    for field in ("payment_intent", "charge"):
        if (value := params.text(field)) is not None:
            found = [made for made in found if made[field] == value]
    return respond(paginate(found, params, "/v1/refunds"), params)
