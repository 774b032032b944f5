"""Payments that finish later: SEPA Direct Debits settling, and charges waiting for the
customer to authenticate them (``invoice.payment_action_required``).

A debit settles ``sepa_debit_settlement_days`` after its attempt (the clock runs it, see
:mod:`.renewals`): paid, or failed like a declined card. A failed *first* payment of a
Checkout subscription ends it instead: the invoice is voided and the subscription becomes
``incomplete_expired``.
"""

from typing import Any

from . import payment_methods
from .billing import FAILED, PAID, Billing, subscription_of
from .errors import invalid


def debit_due(billing: Billing, invoice: dict[str, Any]) -> int | None:
    """When the invoice's processing debit settles, if it has one."""
    debit = billing.store.internal[invoice["id"]].get("debit")
    return debit["settles_at"] if debit and invoice["status"] == "open" else None


def settle_debit(billing: Billing, invoice: dict[str, Any], at: int) -> None:
    store = billing.store
    internal = store.internal[invoice["id"]]
    debit = internal.pop("debit")
    iban = store.internal[debit["payment_method"]].get("iban", "")
    paid = not payment_methods.iban_fails(iban) and billing.charge_customer(invoice["customer"])
    subscription = store.require("subscription", subscription_of(invoice))
    session = store.get("checkout.session", internal.get("checkout_session", ""))
    if subscription["status"] == "incomplete":
        _settle_first_payment(billing, subscription, invoice, session, paid, at)
        return
    with billing.webhooks.updating(subscription, at):
        outcome = billing.conclude(invoice, at, paid, scheduled=debit["scheduled"])
        give_up = billing.settle(subscription, invoice, outcome) if paid or debit["scheduled"] else False
    if give_up:
        billing.cancel(subscription, at, "payment_failed")


def _settle_first_payment(
    billing: Billing,
    subscription: dict[str, Any],
    invoice: dict[str, Any],
    session: dict[str, Any] | None,
    paid: bool,
    at: int,
) -> None:
    with billing.webhooks.updating(subscription, at):
        billing.conclude(invoice, at, paid, scheduled=False)
        if paid:
            subscription["status"] = "active"
        else:
            invoice.update(status="void", next_payment_attempt=None, auto_advance=False)
            invoice["status_transitions"]["voided_at"] = at
            customer = billing.store.require("customer", invoice["customer"])
            customer["delinquent"] = bool(billing.open_invoices(customer_id=customer["id"]))
            billing.webhooks.emit(invoice, "voided", at)
            subscription.update(status="incomplete_expired", ended_at=at)
    if session is not None:
        if paid:
            session["payment_status"] = "paid"
        billing.webhooks.emit(session, "async_payment_succeeded" if paid else "async_payment_failed", at)


def pay_with_authentication(billing: Billing, invoice: dict[str, Any], at: int) -> None:
    """The customer authenticates the waiting charge (hosted invoice page) and it is paid."""
    if not billing.requires_action(invoice):
        raise invalid(f"Invoice {invoice['id']} is {invoice['status']} and has no payment to confirm.")
    subscription = billing.store.require("subscription", subscription_of(invoice))
    with billing.webhooks.updating(subscription, at):
        paid = billing.charge_customer(invoice["customer"])
        outcome = billing.conclude(invoice, at, paid, scheduled=False)
        if outcome != FAILED:
            billing.settle(subscription, invoice, PAID)
