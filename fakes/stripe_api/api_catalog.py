"""``/v1`` products, prices and customers."""

import re
from typing import Any

from flask import Blueprint, Response

from . import objects
from .errors import StripeError, invalid
from .objects import paginate
from .params import Params
from .state import fake
from .wire import api_call, request_params, respond

catalog_api = Blueprint("catalog_api", __name__, url_prefix="/v1")

TAX_BEHAVIORS = ("inclusive", "exclusive", "unspecified")
# Stripe's longest billing interval is three years.
MAX_INTERVAL_COUNT = {"day": 1095, "week": 156, "month": 36, "year": 3}


@catalog_api.post("/products")
@api_call
def create_product() -> Response:
    params, store = request_params(), fake().store
    product = objects.product(
        name=params.text("name", required=True),
        description=params.text("description"),
        metadata=params.metadata(),
        active=params.flag("active", default=True),
        created=store.now(),
    )
    product["tax_code"] = _tax_code(params)
    if (custom_id := params.text("id")) is not None:
        if store.get("product", custom_id):
            raise StripeError("Product already exists.", param="id", code="resource_already_exists")
        product["id"] = custom_id
    store.add(product)
    fake().webhooks.emit(product, "created", store.now())
    return respond(product, params)


@catalog_api.get("/products")
@api_call
def list_products() -> Response:
    params = request_params()
    products = fake().store.all("product")
    if (active := params.flag("active")) is not None:
        products = [product for product in products if product["active"] == active]
    return respond(paginate(products, params, "/v1/products"), params)


@catalog_api.get("/products/<product_id>")
@api_call
def retrieve_product(product_id: str) -> Response:
    return respond(fake().store.require("product", product_id), request_params())


@catalog_api.post("/products/<product_id>")
@api_call
def update_product(product_id: str) -> Response:
    params, store = request_params(), fake().store
    product = store.require("product", product_id)
    changes = {
        field: params.text(field, required=field == "name") or None
        for field in ("name", "description", "default_price")
        if field in params
    }
    if changes.get("default_price"):
        store.require("price", changes["default_price"], "default_price")
    changes.update(
        active=params.flag("active", default=product["active"]),
        metadata=params.metadata(product["metadata"]),
    )
    if "tax_code" in params:
        changes["tax_code"] = _tax_code(params)
    with fake().webhooks.updating(product, store.now()):
        product.update(changes, updated=store.now())
    return respond(product, params)


def _tax_code(params: Params) -> str | None:
    """A product tax code like ``txcd_10000000`` (Software as a service: ``txcd_10103001``)."""
    code = params.text("tax_code") or None
    if code is not None and not re.fullmatch(r"txcd_\d{8}", code):
        raise invalid(f"Invalid tax code: {code}.", param="tax_code")
    return code


@catalog_api.post("/prices")
@api_call
def create_price() -> Response:
    params, store = request_params(), fake().store
    product_id = params.text("product")
    product_data = params.nested("product_data")
    if product_id is None and "name" not in product_data:
        raise invalid(
            "You must specify either `product` or `product_data` when creating a price.",
            param="product",
        )
    if product_id is not None:
        store.require("product", product_id, "product")
    lookup_key = params.text("lookup_key") or None
    price = objects.price(
        product_id=product_id or "",
        unit_amount=params.integer("unit_amount", required=True),
        currency=params.text("currency", required=True).lower(),
        recurring=_recurring(params),
        lookup_key=lookup_key,
        nickname=params.text("nickname"),
        metadata=params.metadata(),
        active=params.flag("active", default=True),
        created=store.now(),
    )
    price["tax_behavior"] = params.choice("tax_behavior", TAX_BEHAVIORS, default="unspecified")
    _claim_lookup_key(price["id"], lookup_key, params)
    if product_id is None:
        product = store.add(
            objects.product(
                name=product_data.text("name", required=True),
                description=None,
                metadata=product_data.metadata(),
                active=True,
                created=store.now(),
            )
        )
        fake().webhooks.emit(product, "created", store.now())
        price["product"] = product["id"]
    store.add(price)
    fake().webhooks.emit(price, "created", store.now())
    return respond(price, params)


def _recurring(params: Params) -> dict[str, Any] | None:
    if "recurring" not in params:
        return None
    recurring = params.nested("recurring")
    interval = recurring.choice("interval", tuple(MAX_INTERVAL_COUNT))
    count = recurring.integer("interval_count", default=1, minimum=1)
    if count > MAX_INTERVAL_COUNT[interval]:
        raise invalid("The maximum billing interval is 3 years.", param=recurring.param("interval_count"))
    return {"interval": interval, "interval_count": count}


def _claim_lookup_key(price_id: str, key: str | None, params: Params) -> None:
    """Free ``key`` for the price if another one has it and the client asked to transfer it."""
    holder = next((p for p in fake().store.all("price") if key and p["lookup_key"] == key), None)
    if holder is None or holder["id"] == price_id:
        return
    if not params.flag("transfer_lookup_key", default=False):
        raise invalid(
            f"A price (`{holder['id']}`) already uses that lookup key. "
            "Pass transfer_lookup_key=true to move it to this price.",
            param="lookup_key",
        )
    with fake().webhooks.updating(holder, fake().store.now()):
        holder["lookup_key"] = None


@catalog_api.get("/prices")
@api_call
def list_prices() -> Response:
    params = request_params()
    prices = fake().store.all("price")
    if lookup_keys := params.strings("lookup_keys"):
        prices = [price for price in prices if price["lookup_key"] in lookup_keys]
    if (active := params.flag("active")) is not None:
        prices = [price for price in prices if price["active"] == active]
    for field in ("product", "currency", "type"):
        if (value := params.text(field)) is not None:
            prices = [price for price in prices if price[field] == value]
    return respond(paginate(prices, params, "/v1/prices"), params)


@catalog_api.get("/prices/<price_id>")
@api_call
def retrieve_price(price_id: str) -> Response:
    return respond(fake().store.require("price", price_id), request_params())


@catalog_api.post("/prices/<price_id>")
@api_call
def update_price(price_id: str) -> Response:
    params, store = request_params(), fake().store
    price = store.require("price", price_id)
    changes = {field: params.text(field) or None for field in ("lookup_key", "nickname") if field in params}
    changes.update(
        active=params.flag("active", default=price["active"]),
        metadata=params.metadata(price["metadata"]),
    )
    if "tax_behavior" in params:
        behavior = params.choice("tax_behavior", TAX_BEHAVIORS)
        if behavior != price["tax_behavior"] and price["tax_behavior"] != "unspecified":
            raise invalid(
                "tax_behavior cannot be changed once it is set to inclusive or exclusive.",
                param="tax_behavior",
            )
        changes["tax_behavior"] = behavior
    _claim_lookup_key(price_id, changes.get("lookup_key"), params)
    with fake().webhooks.updating(price, store.now()):
        price.update(changes)
    return respond(price, params)


@catalog_api.post("/customers")
@api_call
def create_customer() -> Response:
    params, store = request_params(), fake().store
    customer = store.add(
        objects.customer(
            email=params.text("email"),
            name=params.text("name"),
            metadata=params.metadata(),
            description=params.text("description"),
            phone=params.text("phone"),
            created=store.now(),
            preferred_locales=params.strings("preferred_locales"),
        )
    )
    customer["address"] = _address(params, None)
    fake().webhooks.emit(customer, "created", store.now())
    return respond(customer, params)


@catalog_api.get("/customers")
@api_call
def list_customers() -> Response:
    params = request_params()
    customers = fake().store.all("customer")
    if (email := params.text("email")) is not None:
        customers = [customer for customer in customers if customer["email"] == email]
    return respond(paginate(customers, params, "/v1/customers"), params)


@catalog_api.get("/customers/<customer_id>")
@api_call
def retrieve_customer(customer_id: str) -> Response:
    return respond(fake().store.require("customer", customer_id), request_params())


@catalog_api.post("/customers/<customer_id>")
@api_call
def update_customer(customer_id: str) -> Response:
    params, store = request_params(), fake().store
    customer = store.require("customer", customer_id)
    changes = {
        field: params.text(field) or None
        for field in ("email", "name", "description", "phone")
        if field in params
    }
    changes["metadata"] = params.metadata(customer["metadata"])
    changes["address"] = _address(params, customer["address"])
    with fake().webhooks.updating(customer, store.now()):
        customer.update(changes)
    return respond(customer, params)


ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")


def _address(params: Params, current: dict[str, Any] | None) -> dict[str, Any] | None:
    """The customer's ``address`` after ``address[...]`` (an empty value unsets it)."""
    if "address" not in params:
        return current
    given = params.nested("address")
    if not given.names():
        return None
    address = dict(current or dict.fromkeys(ADDRESS_FIELDS))
    for field in ADDRESS_FIELDS:
        if field in given:
            address[field] = given.text(field) or None
    if address["country"]:
        address["country"] = address["country"].upper()
    return address
