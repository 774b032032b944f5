"""Applying a plan change (:mod:`.proration` works it out) and previewing invoices.

Events of a change, in order: ``invoiceitem.created`` per proration item,
``customer.subscription.updated``, then, when it invoices at once (``always_invoice``, or
a restarted billing period), ``invoice.created``, ``invoice.finalized`` and
``invoice.paid``/``invoice.payment_succeeded`` (or ``invoice.payment_failed`` and a
second ``customer.subscription.updated`` to ``past_due``). ``payment_behavior``:
``allow_incomplete`` applies the change even if the charge fails;
``error_if_incomplete`` answers 402 and changes nothing; ``pending_if_incomplete``
keeps the change in ``pending_update`` until the invoice is paid.
"""

import copy
from typing import Any

from . import invoice_items, invoicing
from .billing import Billing, period_of
from .errors import StripeError, card_declined
from .payment_methods import needs_authentication
from .periods import add_interval
from .proration import Change, Options, Outcome, adopt, work_out
from .schedules import enter_next_phase
from .store import Store, new_id

PAYMENT_BEHAVIORS = ("allow_incomplete", "error_if_incomplete", "pending_if_incomplete")
PENDING_UPDATE_LIFETIME = 23 * 60 * 60


def change_plan(
    billing: Billing,
    subscription: dict[str, Any],
    changes: list[Change],
    options: Options,
    payment_behavior: str,
    at: int,
) -> None:
    store = billing.store
    outcome = work_out(store, subscription, changes, options, at)
    if not outcome.changed:
        return
    fails = outcome.invoice_now and _would_fail(billing, subscription, _invoice_of(store, outcome, at))
    if fails and payment_behavior == "error_if_incomplete":
        billing.charge_customer(subscription["customer"])
        raise card_declined()
    pending = fails and payment_behavior == "pending_if_incomplete"
    invoice = None
    with billing.webhooks.updating(subscription, at):
        for item in outcome.prorations:
            store.add(item)
            billing.webhooks.emit(item, "created", at)
        if pending:
            _hold(store, subscription, outcome, at)
        else:
            adopt(subscription, outcome.subscription)
        if outcome.invoice_now:
            items = outcome.subscription["items"]["data"] if outcome.reset else []
            invoice = billing.create_invoice(
                outcome.subscription, "subscription_update", (at, at), at, items=items
            )
            subscription["latest_invoice"] = invoice["id"]
            subscription["discounts"] = outcome.subscription["discounts"]
            if pending:
                store.internal[invoice["id"]]["pending_update"] = copy.deepcopy(outcome.subscription)
    if invoice is not None:
        billing.issue(invoice, at)
        if pending:
            billing.attempt(invoice, at, scheduled=False)
        else:
            billing.collect(invoice, at, scheduled=True)


def _invoice_of(store: Store, outcome: Outcome, at: int) -> dict[str, Any]:
    """The invoice the change would make now (not stored)."""
    items = outcome.subscription["items"]["data"] if outcome.reset else []
    extra = invoice_items.pending(store, outcome.subscription["id"]) + outcome.prorations
    return invoicing.compose(store, outcome.subscription, reason="subscription_update", period=(at, at),
                             at=at, items=items, extra=extra,
                             invoice_id="upcoming_" + new_id("in_"))  # fmt: skip


def _would_fail(billing: Billing, subscription: dict[str, Any], invoice: dict[str, Any]) -> bool:
    """Whether charging ``invoice`` off session would not be paid at once."""
    if invoice["amount_due"] == 0:
        return False
    if billing.store.declines.get(subscription["customer"], 0) > 0:
        return True
    method = billing.store.get("payment_method", subscription["default_payment_method"] or "")
    if method is None:
        return True
    return needs_authentication(billing.store.internal[method["id"]].get("number", ""))


def _hold(store: Store, subscription: dict[str, Any], outcome: Outcome, at: int) -> None:
    subscription["pending_update"] = {
        "billing_cycle_anchor": outcome.subscription["billing_cycle_anchor"] if outcome.reset else None,
        "expires_at": at + PENDING_UPDATE_LIFETIME,
        "subscription_items": copy.deepcopy(outcome.subscription["items"]["data"]),
        "trial_end": None,
        "trial_from_plan": None,
    }


def preview(
    store: Store,
    subscription: dict[str, Any],
    changes: list[Change] | None,
    options: Options,
    cancel_at_period_end: bool | None,
    at: int,
) -> dict[str, Any]:
    """What ``POST /v1/invoices/create_preview`` answers: the invoice the change makes at
    once, or else the next renewal's (with waiting prorations and discounts)."""
    outcome = work_out(store, subscription, changes or [], options, at)
    if outcome.invoice_now:
        return _invoice_of(store, outcome, at)
    after = outcome.subscription
    ends = cancel_at_period_end if cancel_at_period_end is not None else subscription["cancel_at_period_end"]
    if ends or subscription["status"] not in ("active", "past_due", "trialing"):
        raise StripeError(
            f"No upcoming invoices for customer: {subscription['customer']}",
            status=404,
            code="invoice_upcoming_none",
        )
    start, end = period_of(after)
    enter_next_phase(store, after, end)
    for item in after["items"]["data"]:
        recurring = item["price"]["recurring"]
        item["current_period_start"] = end
        item["current_period_end"] = add_interval(
            end, recurring["interval"], recurring["interval_count"], anchor=after["billing_cycle_anchor"]
        )
    extra = invoice_items.pending(store, subscription["id"]) + outcome.prorations
    invoice = invoicing.compose(store, after, reason="subscription_cycle", period=(start, end), at=end,
                                extra=extra, invoice_id="upcoming_" + new_id("in_"))  # fmt: skip
    return invoice
