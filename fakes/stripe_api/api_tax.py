"""``/v1`` customer tax IDs, tax rates and payment methods."""

from flask import Blueprint, Response

from . import tax_ids
from .errors import no_such
from .objects import paginate
from .state import fake
from .wire import api_call, request_params, respond

tax_api = Blueprint("tax_api", __name__, url_prefix="/v1")


@tax_api.post("/customers/<customer_id>/tax_ids")
@api_call
def create_tax_id(customer_id: str) -> Response:
    params, store = request_params(), fake().store
    customer = store.require("customer", customer_id)
    tax_type = params.text("type", required=True)
    value, country = tax_ids.validate(tax_type, params.text("value", required=True))
    tax_id = store.add(
        tax_ids.tax_id(
            customer_id=customer_id,
            tax_type=tax_type,
            value=value,
            country=country,
            business_name=customer["name"],
            created=store.now(),
        )
    )
    fake().webhooks.emit(tax_id, "created", store.now())
    return respond(tax_id, params)


@tax_api.get("/customers/<customer_id>/tax_ids")
@api_call
def list_tax_ids(customer_id: str) -> Response:
    params, store = request_params(), fake().store
    store.require("customer", customer_id)
    found = [tax_id for tax_id in store.all("tax_id") if tax_id["customer"] == customer_id]
    return respond(paginate(found, params, f"/v1/customers/{customer_id}/tax_ids"), params)


def _tax_id_of(customer_id: str, tax_id_id: str) -> dict:
    store = fake().store
    store.require("customer", customer_id)
    tax_id = store.get("tax_id", tax_id_id)
    if tax_id is None or tax_id["customer"] != customer_id:
        raise no_such("tax_id", tax_id_id)
    return tax_id


@tax_api.get("/customers/<customer_id>/tax_ids/<tax_id_id>")
@api_call
def retrieve_tax_id(customer_id: str, tax_id_id: str) -> Response:
    return respond(_tax_id_of(customer_id, tax_id_id), request_params())


@tax_api.delete("/customers/<customer_id>/tax_ids/<tax_id_id>")
@api_call
def delete_tax_id(customer_id: str, tax_id_id: str) -> Response:
    store = fake().store
    tax_id = _tax_id_of(customer_id, tax_id_id)
    store.remove("tax_id", tax_id_id)
    fake().webhooks.emit(tax_id, "deleted", store.now())
    return respond(tax_ids.deleted_tax_id(tax_id_id))


@tax_api.get("/tax_rates/<tax_rate_id>")
@api_call
def retrieve_tax_rate(tax_rate_id: str) -> Response:
    return respond(fake().store.require("tax_rate", tax_rate_id), request_params())


@tax_api.get("/tax_rates")
@api_call
def list_tax_rates() -> Response:
    params = request_params()
    return respond(paginate(fake().store.all("tax_rate"), params, "/v1/tax_rates"), params)


@tax_api.get("/payment_methods/<payment_method_id>")
@api_call
def retrieve_payment_method(payment_method_id: str) -> Response:
    return respond(fake().store.require("payment_method", payment_method_id), request_params())


@tax_api.get("/customers/<customer_id>/payment_methods")
@api_call
def list_customer_payment_methods(customer_id: str) -> Response:
    params, store = request_params(), fake().store
    store.require("customer", customer_id)
    methods = [method for method in store.all("payment_method") if method["customer"] == customer_id]
    if (method_type := params.text("type")) is not None:
        methods = [method for method in methods if method["type"] == method_type]
    return respond(paginate(methods, params, f"/v1/customers/{customer_id}/payment_methods"), params)
