"""``/v1/billing_portal``: sessions and configurations (see :mod:`.portal_config`).

Configurations: create and update with ``features[subscription_update][enabled|
default_allowed_updates[]|proration_behavior|products[][product|prices[]]]``,
``features[subscription_cancel][enabled|mode|cancellation_reason][enabled|options[]]``,
``features[payment_method_update][enabled]``, ``features[invoice_history][enabled]``,
``business_profile[...]``, ``default_return_url``, ``is_default``, ``name``, ``active``,
``metadata``; retrieve; list by ``active``/``is_default``. A session takes
``configuration`` (default: the default one).
"""

from flask import Blueprint, Response

from . import objects, portal_config
from .errors import invalid
from .objects import paginate
from .state import base_url, fake
from .store import new_id
from .wire import api_call, request_params, respond

portal_api = Blueprint("portal_api", __name__, url_prefix="/v1/billing_portal")

KIND = "billing_portal.configuration"


@portal_api.post("/sessions")
@api_call
def create_portal_session() -> Response:
    params, store = request_params(), fake().store
    customer_id = params.text("customer", required=True)
    if store.get("customer", customer_id) is None:
        raise invalid(f"No such customer: '{customer_id}'", param="customer", code="resource_missing")
    if (config_id := params.text("configuration")) is not None:
        config = store.require(KIND, config_id, "configuration")
        if not config["active"]:
            raise invalid("The configuration is not active.", param="configuration")
    else:
        config = portal_config.default(store)
    session = store.add(
        objects.portal_session(
            customer_id=customer_id,
            return_url=params.text("return_url") or config["default_return_url"],
            configuration=config["id"],
            base_url=base_url(),
            created=store.now(),
        )
    )
    return respond(session, params)


@portal_api.post("/configurations")
@api_call
def create_configuration() -> Response:
    params, store = request_params(), fake().store
    if "features" not in params:
        raise invalid("Missing required param: features.", param="features")
    portal_config.default(store)  # the account's own default exists before any other
    config = portal_config.configuration(new_id("bpc_"), store.now())
    portal_config.update(store, config, params)
    store.add(config)
    return respond(config, params)


@portal_api.get("/configurations")
@api_call
def list_configurations() -> Response:
    params, store = request_params(), fake().store
    portal_config.default(store)
    found = store.all(KIND)
    for name in ("active", "is_default"):
        if (flag := params.flag(name)) is not None:
            found = [config for config in found if config[name] is flag]
    return respond(paginate(found, params, "/v1/billing_portal/configurations"), params)


@portal_api.get("/configurations/<config_id>")
@api_call
def retrieve_configuration(config_id: str) -> Response:
    portal_config.default(fake().store)
    return respond(fake().store.require(KIND, config_id), request_params())


@portal_api.post("/configurations/<config_id>")
@api_call
def update_configuration(config_id: str) -> Response:
    params, store = request_params(), fake().store
    portal_config.default(store)
    config = store.require(KIND, config_id)
    portal_config.update(store, config, params)
    return respond(config, params)
