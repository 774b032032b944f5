"""The subscription and invoice life cycle, emitting the events Stripe emits.

Cards are simulated per customer: 4242 4242 4242 4242 is good, any other number is
declined, and ``fail_next_payment`` makes a customer's next charge(s) decline. What the
clock drives (renewals, smart retries) is in :mod:`.renewals`.
"""

import copy
import math
import re
from typing import Any

from . import billing_objects, objects
from .errors import card_declined, invalid
from .periods import add_interval
from .store import DAY, Store
from .webhooks import Webhooks

GOOD_CARD = "4242424242424242"


def is_good_card(number: str) -> bool:
    return re.sub(r"[\s-]", "", number) == GOOD_CARD


class Billing:
    def __init__(self, store: Store, webhooks: Webhooks, base_url: str):
        self.store = store
        self.webhooks = webhooks
        self.base_url = base_url  # where the hosted invoice pages are

    # Cards and charges

    def save_card(self, customer_id: str, card: str) -> bool:
        """Give the customer a new card; a declining one declines until replaced."""
        good = is_good_card(card)
        if good:
            self.store.declines.pop(customer_id, None)
        else:
            self.store.declines[customer_id] = math.inf
        return good

    def fail_next_payments(self, customer_id: str, count: float = math.inf) -> None:
        self.store.declines[customer_id] = count

    def _charge(self, customer_id: str) -> bool:
        remaining = self.store.declines.get(customer_id, 0)
        if remaining <= 0:
            return True
        self.store.declines[customer_id] = remaining - 1
        return False

    # Checkout

    def complete_checkout(self, session: dict[str, Any], card: str, email: str | None) -> None:
        """Pay an open session: customer, subscription, paid first invoice, then the events."""
        if session["status"] != "open":
            raise invalid(f"This Checkout Session is {session['status']} and can no longer be paid.")
        if not is_good_card(card):
            raise card_declined()
        at = self.store.now()
        customer = self._checkout_customer(session, email, at)
        self.save_card(customer["id"], card)
        details = self.store.internal[session["id"]]
        lines = [
            (self.store.require("price", item["price"]["id"]), item["quantity"])
            for item in details["line_items"]
        ]
        recurring = lines[0][0]["recurring"]
        period = (at, add_interval(at, recurring["interval"], recurring["interval_count"]))
        subscription = self.store.add(
            billing_objects.subscription(
                customer_id=customer["id"],
                lines=lines,
                metadata=dict(details["subscription_metadata"]),
                period=period,
                created=at,
            )
        )
        invoice = self.create_invoice(subscription, "subscription_create", (at, at), at)
        subscription["latest_invoice"] = invoice["id"]
        customer["currency"] = subscription["currency"]
        self.webhooks.emit(subscription, "created", at)
        self.issue(invoice, at)
        self.attempt(invoice, at, scheduled=True)
        session.update(
            status="complete",
            payment_status="paid",
            customer=customer["id"],
            subscription=subscription["id"],
            customer_details={
                "address": None,
                "email": customer["email"],
                "name": customer["name"],
                "phone": None,
                "tax_exempt": "none",
                "tax_ids": [],
            },
        )
        self.webhooks.emit(session, "completed", at)

    def _checkout_customer(self, session: dict[str, Any], email: str | None, at: int) -> dict:
        if session["customer"]:
            return self.store.require("customer", session["customer"], "customer")
        created = self.store.add(
            objects.customer(email=email or session["customer_email"], name=None, metadata={}, created=at)
        )
        self.webhooks.emit(created, "created", at)
        return created

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
    def set_item_price(item: dict[str, Any], price: dict[str, Any]) -> None:
        """Switch the item to ``price`` now, without proration (see :func:`require_recurring`)."""
        item["price"] = copy.deepcopy(price)
        item["plan"] = objects.plan(price)

    @staticmethod
    def set_cancel_at_period_end(subscription: dict[str, Any], flag: bool, at: int) -> None:
        subscription["cancel_at_period_end"] = flag
        subscription["cancel_at"] = period_of(subscription)[1] if flag else None
        subscription["canceled_at"] = at if flag else None
        subscription["cancellation_details"]["reason"] = "cancellation_requested" if flag else None

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
            self.collect(invoice, self.store.now(), scheduled=False)
        return good

    def collect(self, invoice: dict[str, Any], at: int, *, scheduled: bool) -> None:
        """Attempt the invoice and bring its subscription's status up to date.

        Only successes and scheduled attempts move the status; a failing manual attempt
        just adds an ``invoice.payment_failed``.
        """
        subscription = self.store.require("subscription", subscription_of(invoice))
        with self.webhooks.updating(subscription, at):
            paid = self.attempt(invoice, at, scheduled=scheduled)
            give_up = self.settle(subscription, invoice, paid) if paid or scheduled else False
        if give_up:
            self.cancel(subscription, at, "payment_failed")

    def create_invoice(
        self, subscription: dict[str, Any], reason: str, period: tuple[int, int], at: int
    ) -> dict[str, Any]:
        descriptions = [
            billing_objects.describe_line(
                item["price"],
                self.store.require("product", item["price"]["product"])["name"],
                item["quantity"],
            )
            for item in subscription["items"]["data"]
        ]
        return self.store.add(
            billing_objects.invoice(
                customer_obj=self.store.require("customer", subscription["customer"]),
                subscription_obj=subscription,
                billing_reason=reason,
                descriptions=descriptions,
                period=period,
                created=at,
            )
        )

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
        self.webhooks.emit(invoice, "finalized", at)

    def attempt(self, invoice: dict[str, Any], at: int, *, scheduled: bool) -> bool:
        """Charge the invoice. A failed scheduled attempt sets the next smart retry."""
        invoice["attempt_count"] += 1
        invoice["attempted"] = True
        customer = self.store.require("customer", invoice["customer"])
        if self._charge(customer["id"]):
            invoice.update(
                status="paid",
                amount_paid=invoice["amount_due"],
                amount_remaining=0,
                next_payment_attempt=None,
            )
            invoice["status_transitions"]["paid_at"] = at
            customer["delinquent"] = bool(self.open_invoices(customer_id=customer["id"]))
            self.webhooks.emit(invoice, "paid", at)
            self.webhooks.emit(invoice, "payment_succeeded", at)
            return True
        if scheduled:
            internal = self.store.internal[invoice["id"]]
            failures = internal["scheduled_failures"] = internal.get("scheduled_failures", 0) + 1
            schedule = self.store.settings.retry_schedule_days
            invoice["next_payment_attempt"] = (
                at + round(schedule[failures - 1] * DAY) if failures <= len(schedule) else None
            )
        customer["delinquent"] = True
        self.webhooks.emit(invoice, "payment_failed", at)
        return False

    def settle(self, subscription: dict[str, Any], invoice: dict[str, Any], paid: bool) -> bool:
        """Set the subscription's status after a payment; True if it must now be canceled."""
        if subscription["status"] == "canceled":
            return False
        if paid:
            if not self.open_invoices(subscription_id=subscription["id"]):
                subscription["status"] = "active"
            return False
        if invoice["next_payment_attempt"] is not None:
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
