"""The subscription and invoice life cycle, emitting the events Stripe emits.

An invoice is charged to its subscription's ``default_payment_method`` (see
:mod:`.payment_methods` for the test numbers); ``fail_next_payment`` makes a customer's
next charge(s) fail. A card charge succeeds or fails at once; a SEPA Direct Debit is
``processing`` until it settles days later; a card needing authentication waits for the
customer when charged off session. Checkout is in :mod:`.checkout`, what the clock drives
(renewals, smart retries, settlements) in :mod:`.renewals`.
"""

import math
from typing import Any

from . import discounts, invoice_items, invoicing, payment_methods
from .errors import invalid
from .proration import adopt
from .store import DAY, Store
from .webhooks import Webhooks

# What an attempt to charge an invoice comes to.
PAID, FAILED, PROCESSING, ACTION_REQUIRED = "paid", "failed", "processing", "requires_action"
# Statuses a payment does not move (an incomplete subscription waits for its first debit).
NOT_SETTLED = ("canceled", "incomplete", "incomplete_expired")


class Billing:
    def __init__(self, store: Store, webhooks: Webhooks, base_url: str):
        self.store = store
        self.webhooks = webhooks
        self.base_url = base_url  # where the hosted invoice pages are

    # Payment methods and charges

    def add_payment_method(self, method: dict[str, Any], secret: dict[str, Any]) -> dict[str, Any]:
        """Keep ``method`` with what only the fake knows of it (card number, IBAN)."""
        self.store.add(method)
        self.store.internal[method["id"]].update(secret)
        return method

    def save_card(self, customer_id: str, card: str) -> bool:
        """Give the customer a new default card; a declining one declines until replaced."""
        good = payment_methods.is_good_card(card)
        if good:
            self.store.declines.pop(customer_id, None)
        else:
            self.store.declines[customer_id] = math.inf
        customer = self.store.require("customer", customer_id)
        method = self.add_payment_method(
            payment_methods.card(customer_id, card, {"email": customer["email"]}, self.store.now()),
            {"number": payment_methods.normalize_number(card)},
        )
        self.make_default(customer_id, method["id"])
        return good

    def make_default(self, customer_id: str, method_id: str) -> None:
        self.store.require("customer", customer_id)["invoice_settings"]["default_payment_method"] = method_id
        for subscription in self.store.all("subscription"):
            if subscription["customer"] == customer_id and subscription["status"] != "canceled":
                subscription["default_payment_method"] = method_id

    def fail_next_payments(self, customer_id: str, count: float = math.inf) -> None:
        self.store.declines[customer_id] = count

    def charge_customer(self, customer_id: str) -> bool:
        remaining = self.store.declines.get(customer_id, 0)
        if remaining <= 0:
            return True
        self.store.declines[customer_id] = remaining - 1
        return False

    def method_of(self, invoice: dict[str, Any]) -> dict[str, Any] | None:
        subscription = self.store.get("subscription", subscription_of(invoice))
        method_id = subscription and subscription["default_payment_method"]
        return self.store.get("payment_method", method_id) if method_id else None

    # Checkout

    def expire_checkout(self, session: dict[str, Any], at: int) -> None:
        if session["status"] != "open":
            raise invalid(
                'Only Checkout Sessions with a status in ["open"] can be expired.'
                f" This one is {session['status']}."
            )
        session["status"] = "expired"
        self.webhooks.emit(session, "expired", at)

    # Subscription changes (callers wrap them in ``webhooks.updating``)

    @staticmethod
    def set_cancel_at_period_end(subscription: dict[str, Any], flag: bool, at: int) -> None:
        subscription["cancel_at_period_end"] = flag
        subscription["cancel_at"] = period_of(subscription)[1] if flag else None
        subscription["canceled_at"] = at if flag else None
        details = subscription["cancellation_details"]
        details["reason"] = "cancellation_requested" if flag else None
        if not flag:
            details.update(comment=None, feedback=None)

    def cancel(self, subscription: dict[str, Any], at: int, reason: str) -> None:
        """End the subscription now; its open invoices are no longer retried."""
        if subscription["status"] == "canceled":
            raise invalid(f"The subscription {subscription['id']} is already canceled.")
        subscription.update(status="canceled", ended_at=at, canceled_at=subscription["canceled_at"] or at)
        subscription["cancellation_details"]["reason"] = reason
        for invoice in self.open_invoices(subscription_id=subscription["id"]):
            invoice.update(next_payment_attempt=None, auto_advance=False)
        self.webhooks.emit(subscription, "deleted", at)

    # Invoices and payments

    def open_invoices(
        self, *, customer_id: str | None = None, subscription_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Open invoices, oldest first."""
        return [
            invoice
            for invoice in reversed(self.store.all("invoice"))
            if invoice["status"] == "open"
            and customer_id in (None, invoice["customer"])
            and subscription_id in (None, subscription_of(invoice))
        ]

    def pay_open_invoices(self, customer_id: str, card: str) -> bool:
        """Try the customer's open invoices with a new card; True if the card is good."""
        good = self.save_card(customer_id, card)
        for invoice in self.open_invoices(customer_id=customer_id):
            if not self.processing(invoice):
                self.collect(invoice, self.store.now(), scheduled=False, on_session=True)
        return good

    def collect(self, invoice: dict[str, Any], at: int, *, scheduled: bool, on_session: bool = False) -> None:
        """Attempt the invoice and bring its subscription's status up to date.

        Only successes and scheduled attempts move the status; a failing manual attempt
        just adds an ``invoice.payment_failed``.
        """
        subscription = self.store.require("subscription", subscription_of(invoice))
        with self.webhooks.updating(subscription, at):
            outcome = self.attempt(invoice, at, scheduled=scheduled, on_session=on_session)
            give_up = self.settle(subscription, invoice, outcome) if outcome != FAILED or scheduled else False
        if give_up:
            self.cancel(subscription, at, "payment_failed")

    def create_invoice(
        self,
        subscription: dict[str, Any],
        reason: str,
        period: tuple[int, int],
        at: int,
        *,
        items: list[dict[str, Any]] | None = None,
        extra: list[dict[str, Any]] | None = None,
        trial: bool = False,
    ) -> dict[str, Any]:
        """A draft invoice (see :func:`~.invoicing.compose`), stored; ``extra`` invoice
        items (default: the subscription's pending ones) are now on it."""
        if extra is None:
            extra = invoice_items.pending(self.store, subscription["id"])
        invoice = invoicing.compose(
            self.store,
            subscription,
            reason=reason,
            period=period,
            at=at,
            items=items,
            extra=extra,
            trial=trial,
        )
        for item in extra:
            item["invoice"] = invoice["id"]
        discounts.after_invoice(self.store, subscription, invoice, at)
        return self.store.add(invoice)

    def issue(self, invoice: dict[str, Any], at: int) -> None:
        """Announce the draft, then finalize it (number, hosted pages) and announce that."""
        self.webhooks.emit(invoice, "created", at)
        customer = self.store.require("customer", invoice["customer"])
        sequence = customer["next_invoice_sequence"]
        customer["next_invoice_sequence"] = sequence + 1
        invoice.update(
            status="open",
            number=f"{customer['invoice_prefix']}-{sequence:04d}",
            effective_at=at,
            hosted_invoice_url=f"{self.base_url}/invoices/{invoice['id']}",
            invoice_pdf=f"{self.base_url}/invoices/{invoice['id']}/pdf",
        )
        invoice["status_transitions"]["finalized_at"] = at
        if invoice["ending_balance"] is not None and invoice["ending_balance"] != customer["balance"]:
            with self.webhooks.updating(customer, at):
                customer["balance"] = invoice["ending_balance"]
        self.webhooks.emit(invoice, "finalized", at)

    def attempt(self, invoice: dict[str, Any], at: int, *, scheduled: bool, on_session: bool = False) -> str:
        """Charge the invoice to its payment method; returns the outcome.

        A SEPA debit is left ``processing`` (see :meth:`settle_debit`); a card needing
        authentication, charged off session, emits ``invoice.payment_action_required``
        and is not retried.
        """
        if invoice["amount_due"] == 0:
            return self.conclude(invoice, at, True, scheduled=scheduled)
        invoice["attempt_count"] += 1
        invoice["attempted"] = True
        method = self.method_of(invoice)
        if method is not None and method["type"] == "sepa_debit":
            invoice["next_payment_attempt"] = None
            self.store.internal[invoice["id"]]["debit"] = {
                "settles_at": at + round(self.store.settings.sepa_debit_settlement_days * DAY),
                "scheduled": scheduled,
                "payment_method": method["id"],
            }
            return PROCESSING
        if method is None:  # a trial started without a payment method
            return self.conclude(invoice, at, False, scheduled=scheduled)
        number = self.store.internal[method["id"]].get("number", "")
        if not on_session and payment_methods.needs_authentication(number):
            invoice["next_payment_attempt"] = None
            self.store.internal[invoice["id"]]["requires_action"] = True
            self.webhooks.emit(invoice, "payment_action_required", at)
            return ACTION_REQUIRED
        return self.conclude(invoice, at, self.charge_customer(invoice["customer"]), scheduled=scheduled)

    def conclude(self, invoice: dict[str, Any], at: int, paid: bool, *, scheduled: bool) -> str:
        """Record a charge's result. A failed scheduled attempt sets the next smart retry."""
        customer = self.store.require("customer", invoice["customer"])
        self.store.internal[invoice["id"]].pop("requires_action", None)
        if paid:
            invoice.update(
                status="paid",
                amount_paid=invoice["amount_due"],
                amount_remaining=0,
                next_payment_attempt=None,
            )
            invoice["status_transitions"]["paid_at"] = at
            customer["delinquent"] = bool(self.open_invoices(customer_id=customer["id"]))
            self._apply_pending_update(invoice, at)
            self.webhooks.emit(invoice, "paid", at)
            self.webhooks.emit(invoice, "payment_succeeded", at)
            return PAID
        if scheduled:
            internal = self.store.internal[invoice["id"]]
            failures = internal["scheduled_failures"] = internal.get("scheduled_failures", 0) + 1
            schedule = self.store.settings.retry_schedule_days
            invoice["next_payment_attempt"] = (
                at + round(schedule[failures - 1] * DAY) if failures <= len(schedule) else None
            )
        customer["delinquent"] = True
        self.webhooks.emit(invoice, "payment_failed", at)
        return FAILED

    def _apply_pending_update(self, invoice: dict[str, Any], at: int) -> None:
        """A ``pending_if_incomplete`` plan change applies once its invoice is paid."""
        after = self.store.internal[invoice["id"]].pop("pending_update", None)
        subscription = self.store.get("subscription", subscription_of(invoice))
        if after is None or subscription is None or subscription["pending_update"] is None:
            return
        with self.webhooks.updating(subscription, at):
            adopt(subscription, after)

    def processing(self, invoice: dict[str, Any]) -> bool:
        return "debit" in self.store.internal[invoice["id"]]

    def requires_action(self, invoice: dict[str, Any]) -> bool:
        return invoice["status"] == "open" and bool(self.store.internal[invoice["id"]].get("requires_action"))

    def settle(self, subscription: dict[str, Any], invoice: dict[str, Any], outcome: str) -> bool:
        """Set the subscription's status after a payment; True if it must now be canceled."""
        if subscription["status"] in NOT_SETTLED or outcome == PROCESSING:
            return False
        if outcome == PAID:
            if not self.open_invoices(subscription_id=subscription["id"]):
                subscription["status"] = "active"
            return False
        if outcome == ACTION_REQUIRED or invoice["next_payment_attempt"] is not None:
            subscription["status"] = "past_due"
            return False
        if self.store.settings.after_final_failure == "cancel":
            return True
        subscription["status"] = "unpaid"
        return False


def require_recurring(price: dict[str, Any], param: str) -> None:
    """Fail unless ``price`` can be subscribed to."""
    if not price["active"] or price["recurring"] is None:
        raise invalid(f"The price `{price['id']}` must be active and recurring.", param=param)


def period_of(subscription: dict[str, Any]) -> tuple[int, int]:
    item = subscription["items"]["data"][0]
    return item["current_period_start"], item["current_period_end"]


def subscription_of(invoice: dict[str, Any]) -> str:
    return invoice["parent"]["subscription_details"]["subscription"]
