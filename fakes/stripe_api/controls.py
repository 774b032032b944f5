"""``/_test`` controls: steer time, payments and webhook delivery; JSON in, JSON out, no auth.

Bodies may be form-encoded or JSON. Errors use Stripe's ``{"error": {...}}`` shape.
"""

import math
from typing import Any

from flask import Blueprint, Response, jsonify, request

from .checkout import complete_checkout, read_payment
from .delivery import DeliverySettings
from .errors import card_declined, invalid, missing
from .payment_methods import METHOD_TYPES
from .payments import pay, read_shipping_rate
from .pending_payments import pay_with_authentication
from .renewals import run_until
from .state import atomic, fake
from .store import DAY
from .wire import request_params

controls = Blueprint("controls", __name__, url_prefix="/_test")

MAX_ADVANCE = 3650 * DAY


def _json(payload: Any, status: int = 200) -> Response:
    response = jsonify(payload)
    response.status_code = status
    return response


@controls.post("/checkout/sessions/<session_id>/pay")
@atomic
def pay_checkout_session(session_id: str) -> Response:
    """What the hosted page's form does (same fields; for a ``payment``-mode session also
    ``shipping_rate``), answering ``{"session": ...}`` or the error (402 for a declined card
    or a payment the bank refused). Works for sessions of any account."""
    params, store = request_params(), fake().store
    session = store.require("checkout.session", session_id)
    payment = read_payment(params)
    if payment.method == "card" and not payment.card:
        raise missing("card")
    if session["mode"] == "payment":
        pay(store, fake().webhooks, session, payment, read_shipping_rate(params))
    else:
        with store.scoped(store.owner(session_id)):
            complete_checkout(fake().billing(), session, payment)
    return _json({"session": session})


@controls.post("/invoices/<invoice_id>/pay")
@atomic
def confirm_invoice_payment(invoice_id: str) -> Response:
    """What the hosted invoice page's "Confirm payment" does (authenticate, then pay)."""
    store = fake().store
    invoice = store.require("invoice", invoice_id)
    pay_with_authentication(fake().billing(), invoice, store.now())
    return _json({"invoice": invoice})


@controls.post("/customers/<customer_id>/fail_next_payment")
@atomic
def fail_next_payment(customer_id: str) -> Response:
    """Decline the customer's next ``count`` charges (default: all, until a new card)."""
    params = request_params()
    fake().store.require("customer", customer_id)
    count = params.integer("count", minimum=1)
    fake().billing().fail_next_payments(customer_id, math.inf if count is None else count)
    return _json({"customer": customer_id, "failing_charges": count})


@controls.post("/customers/<customer_id>/pay_open_invoices")
@atomic
def pay_open_invoices(customer_id: str) -> Response:
    """Give the customer a new card and try their open invoices with it."""
    params, store = request_params(), fake().store
    store.require("customer", customer_id)
    billing = fake().billing()
    open_before = billing.open_invoices(customer_id=customer_id)
    paid = billing.pay_open_invoices(customer_id, params.text("card", required=True))
    if not paid:
        return _json({**card_declined().body(), "invoices": open_before}, 402)
    return _json({"invoices": open_before})


@controls.get("/clock")
@atomic
def clock() -> Response:
    store = fake().store
    return _json({"now": store.now(), "offset_seconds": store.clock_offset})


@controls.post("/clock/advance")
@atomic
def advance_clock() -> Response:
    """Move the clock ``days`` (and/or ``seconds``) on, running everything falling due."""
    params, store = request_params(), fake().store
    seconds = params.number("days", default=0) * DAY + params.number("seconds", default=0)
    if not 0 <= seconds <= MAX_ADVANCE:
        raise invalid("The clock moves forward, at most 10 years at a time.", param="days")
    run_until(fake().billing(), store.advance(seconds))
    return clock()


@controls.route("/settings", methods=["GET", "POST"])
@atomic
def billing_settings() -> Response:
    """``after_final_failure`` (``unpaid`` or ``cancel``), ``retry_schedule_days[]``,
    ``sepa_debit_settlement_days``, ``payment_method_types_enabled[]``."""
    params, settings = request_params(), fake().store.settings
    if "after_final_failure" in params:
        settings.after_final_failure = params.choice("after_final_failure", ("unpaid", "cancel"))
    if "retry_schedule_days" in params:
        days = params.numbers("retry_schedule_days")
        if any(day <= 0 for day in days):
            raise invalid("retry_schedule_days must be positive.", param="retry_schedule_days")
        settings.retry_schedule_days = days
    if "sepa_debit_settlement_days" in params:
        days_to_settle = params.number("sepa_debit_settlement_days")
        if days_to_settle is None or days_to_settle < 0:
            raise invalid(
                "sepa_debit_settlement_days must not be negative.", param="sepa_debit_settlement_days"
            )
        settings.sepa_debit_settlement_days = days_to_settle
    if "payment_method_types_enabled" in params:
        enabled = params.strings("payment_method_types_enabled")
        if unknown := [name for name in enabled if name not in METHOD_TYPES]:
            raise invalid(
                f"Unknown payment method type: {', '.join(unknown)}.", param="payment_method_types_enabled"
            )
        settings.payment_method_types_enabled = enabled
    return _json(vars(settings))


MAX_DELIVERY_THREADS = 64


@controls.route("/delivery", methods=["GET", "POST"])
@atomic
def delivery_settings() -> Response:
    params, sender = request_params(), fake().sender
    changes: dict[str, Any] = {}
    for name in ("delay_ms", "backoff_ms", "timeout_ms"):
        if name in params:
            changes[name] = params.number(name)
    for name in ("duplicate_rate", "fail_first_rate"):
        if name in params:
            changes[name] = params.number(name)
            if not 0 <= changes[name] <= 1:
                raise invalid(f"{name} must be between 0 and 1.", param=name)
    if "reorder" in params:
        changes["reorder"] = params.flag("reorder")
    if "max_attempts" in params:
        changes["max_attempts"] = params.integer("max_attempts", minimum=1)
    if "seed" in params:
        changes["seed"] = params.integer("seed")
    if "threads" in params:
        changes["threads"] = params.integer("threads", minimum=1)
        if changes["threads"] > MAX_DELIVERY_THREADS:
            raise invalid(f"threads must be at most {MAX_DELIVERY_THREADS}.", param="threads")
    if any(changes.get(name, 0) < 0 for name in ("delay_ms", "backoff_ms", "timeout_ms")):
        raise invalid("Durations must not be negative.")
    unknown = set(params.names()) - set(DeliverySettings.names())
    if unknown:
        raise invalid(f"Unknown delivery setting: {', '.join(sorted(unknown))}.")
    return _json(vars(sender.configure(**changes)))


@controls.post("/delivery/flush")
def flush() -> Response:
    """Wait (without the lock, so the receiver may call the API) until nothing is pending."""
    timeout = request_params().number("timeout", default=10)
    sender = fake().sender
    if sender.wait_idle(timeout):
        return _json({"idle": True, "pending": 0})
    return _json({"idle": False, "pending": sender.pending()}, 504)


@controls.get("/events")
@atomic
def events() -> Response:
    """Every event, oldest first, with each delivery's attempts and outcome."""
    params = request_params()
    event_type = params.text("type")
    return _json(
        {
            "events": [
                {
                    "id": event["id"],
                    "type": event["type"],
                    "account": event.get("account"),
                    "created": event["created"],
                    "object_id": event["data"]["object"].get("id"),
                    "deliveries": fake().sender.deliveries(event["id"]),
                }
                for event in reversed(fake().store.all("event"))
                if event_type in (None, event["type"])
            ]
        }
    )


@controls.get("/events/<event_id>")
@atomic
def event(event_id: str) -> Response:
    """One event as it was delivered, of any account (also one that revoked the platform,
    whose events ``/v1/events`` no longer shows)."""
    return _json(fake().store.require("event", event_id))


@controls.route("/webhooks", methods=["GET", "POST", "DELETE"])
@atomic
def webhooks() -> Response:
    """List (with secrets), add (``url``, optional ``secret``, ``connect``) or remove all
    endpoints."""
    store, hooks = fake().store, fake().webhooks
    if request.method == "POST":
        params = request_params()
        connect = bool(params.flag("connect", default=False))
        endpoint, secret = hooks.register(
            params.text("url", required=True), secret=params.text("secret"), connect=connect
        )
        return _json({**endpoint, "secret": secret, "connect": connect})
    endpoints = store.all("webhook_endpoint")
    if request.method == "DELETE":
        for endpoint in endpoints:
            store.remove("webhook_endpoint", endpoint["id"])
        return _json({"deleted": len(endpoints)})
    listed = [
        {**endpoint, "secret": hooks.secret(endpoint["id"]), "connect": hooks.is_connect(endpoint["id"])}
        for endpoint in endpoints
    ]
    return _json({"endpoints": listed})


@controls.post("/reset")
@atomic
def reset() -> Response:
    fake().reset()
    return _json({"reset": True})
