"""``/v1`` customer tax IDs, tax rates and payment methods."""

from typing import Any

from flask import Blueprint, Response

from . import tax, tax_ids
from .errors import invalid, no_such
from .objects import paginate
from .params import Params
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


TAX_TYPES = ("amusement_tax", "communications_tax", "gst", "hst", "igst", "jct", "lease_tax", "pst", "qst",
             "retail_delivery_fee", "rst", "sales_tax", "service_tax", "vat")  # fmt: skip
_RATE_TEXTS = ("country", "description", "jurisdiction", "state")


@tax_api.post("/tax_rates")
@api_call
def create_tax_rate() -> Response:
    params, store = request_params(), fake().store
    percentage = params.number("percentage")
    if percentage is None or not 0 <= percentage <= 100:
        raise invalid("The percentage must be between 0 and 100.", param="percentage")
    if "inclusive" not in params:
        raise invalid("Missing required param: inclusive.", param="inclusive", code="parameter_missing")
    texts = _rate_texts(params)
    rate = store.add(
        tax.tax_rate_object(
            display_name=params.text("display_name", required=True) or "",
            percentage=int(percentage) if percentage == int(percentage) else percentage,
            inclusive=bool(params.flag("inclusive")),
            country=texts.get("country"),
            jurisdiction=texts.get("jurisdiction"),
            description=texts.get("description"),
            tax_type=_tax_type(params),
            created=store.now(),
            active=bool(params.flag("active", default=True)),
            metadata=params.metadata(),
            state=texts.get("state"),
        )
    )
    fake().webhooks.emit(rate, "created", store.now())
    return respond(rate, params)


def _rate_texts(params: Params) -> dict[str, Any]:
    texts = {name: params.text(name) or None for name in _RATE_TEXTS if name in params}
    if texts.get("country"):
        texts["country"] = texts["country"].upper()
    return texts


def _tax_type(params: Params) -> str | None:
    return params.choice("tax_type", TAX_TYPES) if params.text("tax_type") else None


@tax_api.post("/tax_rates/<tax_rate_id>")
@api_call
def update_tax_rate(tax_rate_id: str) -> Response:
    """What Stripe lets change: not the percentage nor ``inclusive``."""
    params, store = request_params(), fake().store
    rate = store.require("tax_rate", tax_rate_id)
    for fixed in ("percentage", "inclusive"):
        if fixed in params:
            raise invalid(f"Received unknown parameter: {fixed}", param=fixed)
    changes = _rate_texts(params)
    if "display_name" in params:
        changes["display_name"] = params.text("display_name", required=True)
    if "tax_type" in params:
        changes["tax_type"] = _tax_type(params)
    changes["active"] = params.flag("active", default=rate["active"])
    changes["metadata"] = params.metadata(rate["metadata"])
    with fake().webhooks.updating(rate, store.now()):
        rate.update(changes)
    return respond(rate, params)


@tax_api.get("/tax_rates/<tax_rate_id>")
@api_call
def retrieve_tax_rate(tax_rate_id: str) -> Response:
    return respond(fake().store.require("tax_rate", tax_rate_id), request_params())


@tax_api.get("/tax_rates")
@api_call
def list_tax_rates() -> Response:
    params = request_params()
    rates = fake().store.all("tax_rate")
    for name in ("active", "inclusive"):
        if (value := params.flag(name)) is not None:
            rates = [rate for rate in rates if rate[name] == value]
    return respond(paginate(rates, params, "/v1/tax_rates"), params)


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
