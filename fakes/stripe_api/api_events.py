"""``/v1`` events and webhook endpoints (``connect=true``: for connected accounts' events)."""

from flask import Blueprint, Response

from .objects import paginate
from .state import fake
from .wire import api_call, request_params, respond

events_api = Blueprint("events_api", __name__, url_prefix="/v1")


@events_api.get("/events")
@api_call
def list_events() -> Response:
    params = request_params()
    events = fake().store.all("event")
    types = params.strings("types")
    if (single := params.text("type")) is not None:
        types.append(single)
    if types:
        events = [event for event in events if _matches(event["type"], types)]
    return respond(paginate(events, params, "/v1/events"), params)


def _matches(event_type: str, patterns: list[str]) -> bool:
    """Stripe's type filter: exact, or with a ``*`` wildcard like ``invoice.*``."""
    return any(
        pattern == event_type or (pattern.endswith("*") and event_type.startswith(pattern[:-1]))
        for pattern in patterns
    )


@events_api.get("/events/<event_id>")
@api_call
def retrieve_event(event_id: str) -> Response:
    return respond(fake().store.require("event", event_id), request_params())


@events_api.post("/webhook_endpoints")
@api_call
def create_webhook_endpoint() -> Response:
    """Register an endpoint; as with Stripe only this answer shows its ``secret``."""
    params = request_params()
    endpoint, secret = fake().webhooks.register(
        params.text("url", required=True),
        enabled_events=params.strings("enabled_events") or None,
        description=params.text("description"),
        metadata=params.metadata(),
        connect=bool(params.flag("connect", default=False)),
    )
    return respond({**endpoint, "secret": secret}, params)


@events_api.get("/webhook_endpoints")
@api_call
def list_webhook_endpoints() -> Response:
    params = request_params()
    endpoints = fake().store.all("webhook_endpoint")
    return respond(paginate(endpoints, params, "/v1/webhook_endpoints"), params)


@events_api.get("/webhook_endpoints/<endpoint_id>")
@api_call
def retrieve_webhook_endpoint(endpoint_id: str) -> Response:
    return respond(fake().store.require("webhook_endpoint", endpoint_id), request_params())


@events_api.delete("/webhook_endpoints/<endpoint_id>")
@api_call
def delete_webhook_endpoint(endpoint_id: str) -> Response:
    store = fake().store
    store.require("webhook_endpoint", endpoint_id)
    store.remove("webhook_endpoint", endpoint_id)
    return respond({"id": endpoint_id, "object": "webhook_endpoint", "deleted": True})
