"""``/v1/subscription_schedules``: create ``from_subscription``, update ``phases`` and
``end_behavior``, release, cancel, retrieve and list (see :mod:`.schedules`).

Phases take ``items[][price|quantity]``, ``start_date`` (a timestamp or ``now``; the
first phase must keep the current phase's start), ``end_date`` or ``iterations``
(billing periods of its first price; the last phase defaults to one) and
``proration_behavior``; each phase starts where the previous one ends.
"""

from typing import Any

from flask import Blueprint, Response

from . import schedules
from .billing import period_of, require_recurring
from .errors import invalid
from .objects import paginate
from .params import Params
from .periods import add_interval
from .proration import PRORATION_BEHAVIORS
from .state import fake
from .wire import api_call, request_params, respond

schedules_api = Blueprint("schedules_api", __name__, url_prefix="/v1")

END_BEHAVIORS = ("release", "cancel")


@schedules_api.post("/subscription_schedules")
@api_call
def create_schedule() -> Response:
    params, store = request_params(), fake().store
    subscription_id = params.text("from_subscription")
    if subscription_id is None:
        raise invalid(
            "This local Stripe creates schedules only `from_subscription`.", param="from_subscription"
        )
    subscription = store.require("subscription", subscription_id, "from_subscription")
    if subscription["schedule"]:
        raise invalid(
            "You cannot migrate a subscription that is already attached to a schedule: "
            f"`{subscription['schedule']}`.",
            param="from_subscription",
        )
    if subscription["status"] == "canceled":
        raise invalid("You cannot migrate a canceled subscription.", param="from_subscription")
    now, webhooks = store.now(), fake().webhooks
    start, end = period_of(subscription)
    items = [(item["price"], item["quantity"]) for item in subscription["items"]["data"]]
    first = schedules.phase(items=items, start=start, end=end, currency=subscription["currency"],
                            proration_behavior="create_prorations")  # fmt: skip
    sched = store.add(schedules.schedule(subscription=subscription, phases=[first], created=now))
    webhooks.emit(sched, "created", now)
    with webhooks.updating(subscription, now):
        subscription["schedule"] = sched["id"]
    return respond(sched, params)


@schedules_api.get("/subscription_schedules")
@api_call
def list_schedules() -> Response:
    params = request_params()
    found = fake().store.all("subscription_schedule")
    if (customer := params.text("customer")) is not None:
        found = [sched for sched in found if sched["customer"] == customer]
    return respond(paginate(found, params, "/v1/subscription_schedules"), params)


@schedules_api.get("/subscription_schedules/<schedule_id>")
@api_call
def retrieve_schedule(schedule_id: str) -> Response:
    return respond(fake().store.require("subscription_schedule", schedule_id), request_params())


def _active(schedule_id: str) -> dict[str, Any]:
    sched = fake().store.require("subscription_schedule", schedule_id)
    if sched["status"] not in ("active", "not_started"):
        raise invalid(f"You cannot update a subscription schedule that is {sched['status']}.")
    return sched


@schedules_api.post("/subscription_schedules/<schedule_id>")
@api_call
def update_schedule(schedule_id: str) -> Response:
    params, store = request_params(), fake().store
    sched = _active(schedule_id)
    end_behavior = params.choice("end_behavior", END_BEHAVIORS, default=sched["end_behavior"])
    phases = _phases(sched, params.records("phases")) if "phases" in params else sched["phases"]
    sched.update(end_behavior=end_behavior, phases=phases, metadata=params.metadata(sched["metadata"]))
    sched["current_phase"] = {"end_date": phases[0]["end_date"], "start_date": phases[0]["start_date"]}
    fake().webhooks.emit(sched, "updated", store.now())
    return respond(sched, params)


def _phases(sched: dict[str, Any], records: list[Params]) -> list[dict[str, Any]]:
    store, now = fake().store, fake().store.now()
    if not records:
        raise invalid("A schedule needs at least one phase.", param="phases")
    current_start = sched["current_phase"]["start_date"]
    phases = []
    start = current_start
    for index, record in enumerate(records):
        items = []
        for entry in record.records("items", required=True):
            price = store.require("price", entry.text("price", required=True), entry.param("price"))
            require_recurring(price, entry.param("price"))
            items.append((price, entry.integer("quantity", default=1, minimum=1)))
        if not items:
            raise invalid("Each phase needs at least one item.", param=record.param("items"))
        given = now if record.text("start_date") == "now" else record.integer("start_date")
        if index == 0 and given is not None and given != current_start:
            raise invalid("You can not modify the start date of the current phase.",
                          param=record.param("start_date"))  # fmt: skip
        start = given if given is not None else start
        end = record.integer("end_date")
        if end is None:
            iterations = record.integer("iterations", minimum=1)
            if iterations is None and index < len(records) - 1:
                raise invalid("Every phase but the last needs an `end_date` or `iterations`.",
                              param=record.param("end_date"))  # fmt: skip
            recurring = items[0][0]["recurring"]
            end = add_interval(start, recurring["interval"], recurring["interval_count"] * (iterations or 1))
        if end <= start:
            raise invalid("A phase must end after it starts.", param=record.param("end_date"))
        behavior = record.choice("proration_behavior", PRORATION_BEHAVIORS, default="create_prorations")
        phases.append(schedules.phase(items=items, start=start, end=end, currency=items[0][0]["currency"],
                                      proration_behavior=behavior))  # fmt: skip
        start = end
    return phases


@schedules_api.post("/subscription_schedules/<schedule_id>/release")
@api_call
def release_schedule(schedule_id: str) -> Response:
    store, billing = fake().store, fake().billing()
    sched = _active(schedule_id)
    subscription = store.get("subscription", sched["subscription"] or "")
    if subscription is None:
        schedules.release(billing, sched, store.now())
    else:
        with billing.webhooks.updating(subscription, store.now()):
            schedules.release(billing, sched, store.now())
    return respond(sched, request_params())


@schedules_api.post("/subscription_schedules/<schedule_id>/cancel")
@api_call
def cancel_schedule(schedule_id: str) -> Response:
    store, billing = fake().store, fake().billing()
    sched, now = _active(schedule_id), store.now()
    sched.update(status="canceled", canceled_at=now, current_phase=None)
    billing.webhooks.emit(sched, "canceled", now)
    subscription = store.get("subscription", sched["subscription"] or "")
    if subscription is not None and subscription["status"] != "canceled":
        billing.cancel(subscription, now, "cancellation_requested")
    return respond(sched, request_params())
