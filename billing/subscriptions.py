"""The local subscription and invoice mirrors, written from Stripe's current state."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from billing import mrr_ledger
from billing.stripe_client import as_dict
from db.base import utcnow
from db.models import Invoice, Subscription
from plans.catalog import Catalog


def stripe_time(seconds) -> datetime | None:
    """A Stripe timestamp (seconds since 1970) as a UTC datetime; None for none."""
    return datetime.fromtimestamp(int(seconds), UTC) if seconds else None


def id_of(value) -> str | None:
    return value.get("id") if isinstance(value, dict) else value


def invoice_subscription_id(invoice: dict) -> str | None:
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    return id_of(details.get("subscription")) or id_of(invoice.get("subscription"))


def invoice_metadata(invoice: dict) -> dict:
    parent = invoice.get("parent") or {}
    return (parent.get("subscription_details") or {}).get("metadata") or {}


def payment_method_values(method) -> dict:
    """The mirror's view of an expanded ``default_payment_method``: its type, a card's brand,
    the last four digits of the card or the IBAN. Empty when it was not expanded (an id), so
    that what the mirror knows is kept."""
    if isinstance(method, str):
        return {}
    method = method or {}
    kind = method.get("type")
    details = method.get(kind) or {} if kind else {}
    return {"payment_method_type": kind, "payment_method_brand": details.get("brand"),
            "payment_method_last4": details.get("last4")}


def _coupon_of(sub: dict) -> str | None:
    """The coupon of the subscription's (first) discount; discounts may be ids or objects."""
    for discount in sub.get("discounts") or []:
        if isinstance(discount, dict):
            source = discount.get("source") or {}
            coupon = source.get("coupon") or discount.get("coupon")
            return id_of(coupon)
    return None


def fetch_subscription(client, subscription_id: str) -> dict:
    """The subscription as Stripe has it now, with the payment method it is charged with."""
    return as_dict(client.v1.subscriptions.retrieve(
        subscription_id, params={"expand": ["default_payment_method", "discounts"]}))


def mirror_subscription(session: Session, catalog: Catalog, sub: dict) -> Subscription:
    """Upsert the mirror from a freshly fetched subscription (``fetch_subscription``), and append
    to the revenue ledger when its MRR, state class or plan changed. Flushes."""
    item = (sub.get("items") or {}).get("data", [{}])[0]
    price = item.get("price") or {}
    lookup_key = price.get("lookup_key")
    found = catalog.by_lookup_key(lookup_key) if lookup_key else None
    details = sub.get("cancellation_details") or {}
    values = {
        "customer_id": id_of(sub["customer"]),
        "signup_id": (sub.get("metadata") or {}).get("signup_id"),
        "status": sub["status"],
        "plan_id": found[0].id if found else None,
        "interval": found[1].interval if found else None,
        "price_lookup_key": lookup_key,
        "cancel_at_period_end": bool(sub.get("cancel_at_period_end")),
        "current_period_end": stripe_time(item.get("current_period_end")),
        "canceled_at": stripe_time(sub.get("canceled_at")),
        "cancellation_reason": details.get("reason"),
        "cancellation_feedback": details.get("feedback"),
        "cancellation_comment": (details.get("comment") or "")[:500] or None,
        "discount_coupon": _coupon_of(sub),
        "trial_end": stripe_time(sub.get("trial_end")),
        **payment_method_values(sub.get("default_payment_method")),
        "synced_at": utcnow(),
    }
    before = mrr_ledger.standing_before(session, catalog, sub["id"])
    session.execute(
        insert(Subscription).values(id=sub["id"], **values)
        .on_conflict_do_update(index_elements=["id"], set_=values)
    )
    session.flush()
    mirror = session.get(Subscription, sub["id"], populate_existing=True)
    mrr_ledger.record(session, catalog, mirror, before)  # the revenue history, when it moved
    return mirror


def tax_values(invoice: dict) -> dict:
    """The VAT on an invoice: its amount, its rate (Stripe Tax applies one per invoice here)
    and Stripe Tax's reason (``standard_rated``, ``reverse_charge``, ``not_collecting``)."""
    taxes = invoice.get("total_taxes") or []
    amount = sum(tax.get("amount") or 0 for tax in taxes)
    taxable = sum(tax.get("taxable_amount") or 0 for tax in taxes)
    percent = None
    if taxable:
        percent = (Decimal(amount) * 100 / taxable).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return {"tax": amount, "tax_percent": percent,
            "taxability_reason": taxes[0].get("taxability_reason") if taxes else None}


def mirror_invoice(session: Session, invoice: dict) -> Invoice:
    transitions = invoice.get("status_transitions") or {}
    values = {
        "customer_id": id_of(invoice["customer"]),
        "subscription_id": invoice_subscription_id(invoice),
        "status": invoice.get("status") or "open",
        "billing_reason": invoice.get("billing_reason"),
        "currency": invoice.get("currency") or "eur",
        "amount_due": invoice.get("amount_due") or 0,
        "amount_paid": invoice.get("amount_paid") or 0,
        "attempt_count": invoice.get("attempt_count") or 0,
        "hosted_invoice_url": invoice.get("hosted_invoice_url"),
        "invoice_pdf": invoice.get("invoice_pdf"),
        "created": stripe_time(invoice.get("created")) or utcnow(),
        "paid_at": stripe_time(transitions.get("paid_at")),
        "number": invoice.get("number"),
        "total": invoice.get("total"),
        "total_excluding_tax": invoice.get("total_excluding_tax"),
        **tax_values(invoice),
        "customer_name": invoice.get("customer_name"),
        "customer_address": invoice.get("customer_address"),
        "customer_tax_ids": [{"type": tax_id.get("type"), "value": tax_id.get("value")}
                             for tax_id in invoice.get("customer_tax_ids") or []],
    }
    statement = insert(Invoice).values(id=invoice["id"], **values)
    # A late 'open' or 'payment_failed' delivery never turns a paid invoice back.
    already_paid = Invoice.status == "paid"
    update = {key: statement.excluded[key] for key in values}
    for key in ("status", "amount_paid", "paid_at"):
        update[key] = case((already_paid, getattr(Invoice, key)), else_=statement.excluded[key])
    # Set by invoice.payment_action_required (the payload does not say it); paid clears it.
    update["action_required"] = case((statement.excluded.status == "paid", False),
                                     else_=Invoice.action_required)
    session.execute(statement.on_conflict_do_update(index_elements=["id"], set_=update))
    session.flush()
    return session.get(Invoice, invoice["id"], populate_existing=True)
