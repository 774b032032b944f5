"""The shape of a Stripe event: what intake needs to store and queue it, and what the
handlers need to read its object.

A correctly signed body can still be malformed (a bug at the sender, a replayed test
fixture, a forged body signed with a leaked secret). ``envelope_problem`` is checked by the
webhook before anything is stored: the answer is a 400 with its one-line reason.
``object_problem`` is checked by the worker before a handler runs: an event whose object a
handler cannot read is marked failed with the reason, never retried and never a crash.
"""

from __future__ import annotations

import re

EVENT_ID = re.compile(r"evt_[A-Za-z0-9_]{1,251}")  # at most 255 characters, safe as a job id
EVENT_TYPE = re.compile(r"[A-Za-z0-9_.]{1,80}")
CUSTOMER_ID = re.compile(r"[A-Za-z0-9_]{1,64}")  # fits stripe_events.customer_id
ACCOUNT_ID = re.compile(r"acct_[A-Za-z0-9]{1,59}")  # fits stripe_events.account
MAX_DEPTH = 32  # Stripe's objects nest a few levels; expanded ones a few more
MAX_CREATED = 2**32  # seconds since 1970: a Unix timestamp, up to the year 2106


class MalformedEvent(ValueError):
    """The event cannot be stored or handled as it is; the message says why, in one line."""


def _strings_problem(event, text: str | None = None) -> str | None:
    """NUL characters and lone surrogates (PostgreSQL's jsonb refuses both), and depth.

    Walks without recursion, so a deep body cannot exhaust the stack here. Given the JSON text
    the event was parsed from (decoded UTF-8, so holding no surrogate itself), the walk is
    needed only when the text has a \\u escape (the only way to write NUL or a surrogate in
    JSON) or enough brackets to nest too deep: most events have neither.
    """
    if text is not None and "\\u" not in text \
            and text.count("{") + text.count("[") <= MAX_DEPTH:
        return None
    stack = [(event, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                return f"body is nested more than {MAX_DEPTH} levels deep"
            stack.extend((key, depth) for key in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                return f"body is nested more than {MAX_DEPTH} levels deep"
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            if "\x00" in value:
                return "body contains a NUL character"
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "body contains an invalid Unicode escape (a lone surrogate)"
    return None


def _id_of(value) -> object:
    return value.get("id") if isinstance(value, dict) else value


def customer_of(event: dict) -> str | None:
    """The Stripe customer an event is about (its lock and its index), if any."""
    obj = event["data"]["object"]
    if obj.get("object") == "customer":
        return obj.get("id")
    return _id_of(obj.get("customer"))


def envelope_problem(event, text: str | None = None) -> str | None:
    """Why this parsed body (parsed from ``text``, when given) cannot be stored as a Stripe
    event, or None."""
    if not isinstance(event, dict):
        return "body is not a Stripe event"
    event_id = event.get("id")
    if not isinstance(event_id, str) or not EVENT_ID.fullmatch(event_id):
        return "id must be evt_ followed by letters, digits or underscores (255 characters at most)"
    event_type = event.get("type")
    if not isinstance(event_type, str) or not EVENT_TYPE.fullmatch(event_type):
        return "type must be letters, digits, dots or underscores (80 characters at most)"
    created = event.get("created")
    if isinstance(created, bool) or not isinstance(created, int) or not 0 <= created < MAX_CREATED:
        return "created must be a Unix timestamp in whole seconds"
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        return "data.object must be a JSON object"
    account = event.get("account")
    if account is not None and (not isinstance(account, str) or not ACCOUNT_ID.fullmatch(account)):
        return "account must be a Stripe account id"
    customer = customer_of(event)
    if customer is not None and (not isinstance(customer, str)
                                 or not CUSTOMER_ID.fullmatch(customer)):
        return "data.object.customer must be a Stripe customer id"
    return _strings_problem(event, text)


def check_envelope(event, text: str | None = None) -> dict:
    """The event, or ``MalformedEvent`` saying why it cannot be stored."""
    problem = envelope_problem(event, text)
    if problem:
        raise MalformedEvent(problem)
    return event


# What the handlers read from each object they handle (billing/handlers.py,
# billing/subscriptions.py), and the columns it ends up in.


def _stripe_id(limit: int):
    pattern = re.compile(rf"[A-Za-z0-9_]{{1,{limit}}}")

    def check(value) -> str | None:
        ok = isinstance(value, str) and pattern.fullmatch(value)
        return None if ok else f"must be a Stripe id of at most {limit} characters"
    return check


def _reference(limit: int):
    """An id, or the expanded object holding it."""
    check_id = _stripe_id(limit)
    return lambda value: check_id(value.get("id") if isinstance(value, dict) else value)


def _text(limit: int):
    def check(value) -> str | None:
        ok = isinstance(value, str) and len(value) <= limit
        return None if ok else f"must be text of at most {limit} characters"
    return check


def _whole(limit: int):
    def check(value) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < limit
        return None if ok else "must be a whole number" + (
            " of seconds since 1970" if limit == MAX_CREATED else "")
    return check


def _mapping(value) -> str | None:
    return None if isinstance(value, dict) else "must be a JSON object"


def _list_of(fields: dict):
    """A JSON list of objects whose ``fields`` (name -> check) pass where present."""
    def check(value) -> str | None:
        if not isinstance(value, list) or len(value) > 100:
            return "must be a JSON list of at most 100 objects"
        for item in value:
            if not isinstance(item, dict):
                return "must be a JSON list of objects"
            for name, field_check in fields.items():
                if item.get(name) is not None and (problem := field_check(item[name])):
                    return f"{name} {problem}"
        return None
    return check


ID64, TIME = _stripe_id(64), _whole(MAX_CREATED)
_CHECKOUT = {"id": (_stripe_id(255), True), "customer": (_reference(64), False),
             "subscription": (_reference(64), False), "metadata": (_mapping, False),
             "metadata.signup_id": (_text(500), False),
             "client_reference_id": (_text(200), False),
             "payment_status": (_text(40), False)}
_SUBSCRIPTION = {"id": (_stripe_id(255), True)}
_INVOICE = {
    "id": (ID64, True), "customer": (_reference(64), True),
    "subscription": (_reference(64), False), "parent": (_mapping, False),
    "parent.subscription_details": (_mapping, False),
    "parent.subscription_details.subscription": (_reference(64), False),
    "parent.subscription_details.metadata": (_mapping, False),
    "parent.subscription_details.metadata.signup_id": (_text(500), False),
    "status": (_text(24), False), "billing_reason": (_text(40), False),
    "currency": (_text(8), False), "amount_due": (_whole(2**63), False),
    "amount_paid": (_whole(2**63), False), "attempt_count": (_whole(2**31), False),
    "hosted_invoice_url": (_text(500), False), "invoice_pdf": (_text(500), False),
    "created": (TIME, False), "status_transitions": (_mapping, False),
    "status_transitions.paid_at": (TIME, False),
    "number": (_text(64), False), "total": (_whole(2**63), False),
    "total_excluding_tax": (_whole(2**63), False),
    "total_taxes": (_list_of({"amount": _whole(2**63), "taxable_amount": _whole(2**63),
                              "taxability_reason": _text(40)}), False),
    "customer_name": (_text(255), False), "customer_address": (_mapping, False),
    "customer_tax_ids": (_list_of({"type": _text(40), "value": _text(100)}), False),
}
_ACCOUNT = {"id": (ID64, True)}
_CHARGE = {"id": (ID64, True), "payment_intent": (_reference(255), False),
           "amount_refunded": (_whole(2**63), False)}
OBJECT_FIELDS = {
    "account.updated": _ACCOUNT,
    "checkout.session.async_payment_succeeded": _CHECKOUT,
    "checkout.session.async_payment_failed": _CHECKOUT,
    "charge.refunded": _CHARGE,
    "checkout.session.completed": _CHECKOUT,
    "checkout.session.expired": _CHECKOUT,
    "customer.subscription.created": _SUBSCRIPTION,
    "customer.subscription.updated": _SUBSCRIPTION,
    "customer.subscription.deleted": _SUBSCRIPTION,
    "customer.subscription.trial_will_end": _SUBSCRIPTION,
    **{name: _INVOICE for name in ("invoice.paid", "invoice.payment_failed", "invoice.created",
                                   "invoice.finalized", "invoice.payment_succeeded",
                                   "invoice.payment_action_required", "invoice.voided")},
}


def _lookup(obj: dict, path: str):
    """The value at a dotted path; None when a step is missing or null (a parent that is
    not an object is reported at its own path first)."""
    value = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def object_problem(event: dict) -> str | None:
    """Why the handler of this event cannot read it, or None (also checks the envelope)."""
    problem = envelope_problem(event)
    if problem:
        return problem
    obj = event["data"]["object"]
    for path, (check, required) in OBJECT_FIELDS.get(event["type"], {}).items():
        value = _lookup(obj, path)
        if value is None or value == "" and not required:
            if required:
                return f"data.object.{path} is missing"
            continue
        problem = check(value)
        if problem:
            return f"data.object.{path} {problem}"
    return None
