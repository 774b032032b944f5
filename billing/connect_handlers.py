"""Stripe Connect events: what happens on the shops' own accounts.

They arrive at their own endpoint and go through the same store-then-process pipeline as the
platform's (``billing.processing``), serialised per account. An event of an account no shop
holds is kept and ignored. A paid Checkout Session becomes an order exactly once: the order
row is locked and only an open one moves on, whatever the order and number of deliveries.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.connect_accounts import fetch_account
from billing.handlers import Deps, Outcome
from billing.shop_checkout import refund
from billing.subscriptions import id_of
from db.models import Order, Shop
from db.models.shop import OrderStatus
from tenants import orders
from tenants import shop as shop_rules


def _payment(fresh: dict) -> orders.Payment:
    shipping = fresh.get("shipping_cost") or {}
    rate = shipping.get("shipping_rate")
    method = ((rate.get("metadata") or {}).get("method") if isinstance(rate, dict) else None)
    details = (fresh.get("collected_information") or {}).get("shipping_details") or {}
    customer = fresh.get("customer_details") or {}
    totals = fresh.get("total_details") or {}
    return orders.Payment(
        payment_intent_id=id_of(fresh.get("payment_intent")),
        email=customer.get("email") or fresh.get("customer_email"),
        name=details.get("name") or customer.get("name"),
        address=details.get("address"),
        shipping_method=(method or "")[:16],
        shipping_cents=int(shipping.get("amount_total") or 0),
        tax_cents=int(totals.get("amount_tax") or 0),
        total_cents=int(fresh.get("amount_total") or 0))


def checkout_paid(session: Session, deps: Deps, account: str, obj: dict, outcome: Outcome) -> None:
    order = orders.for_checkout(session, account, obj["id"])
    if order is None or order.status != OrderStatus.OPEN:
        return  # not ours, or handled by an earlier delivery
    fresh = deps.client.v1.checkout.sessions.retrieve(
        obj["id"], params={"expand": ["shipping_cost.shipping_rate", "payment_intent.latest_charge"]},
        options={"stripe_account": account}).to_dict()
    if fresh.get("payment_status") != "paid":
        return  # a bank debit still on its way: async_payment_succeeded follows
    payment = _payment(fresh)
    order.payment_intent_id = payment.payment_intent_id
    earlier = _refund_made(deps, account, fresh)
    if earlier is not None:
        # An earlier attempt refunded it (the stock had run out) but did not commit: the sale
        # stays refunded, even if the stock was replenished since.
        names = [item.name for item in orders.items(session, order)]
        outcome.mail_keys += orders.refunded_for_stock(session, order, payment, names, earlier)
        return
    short = orders.take_stock(session, order)
    if short:
        refund_id = refund(deps.client, order, payment.total_cents,
                           key=f"order-{order.id}-out-of-stock")
        outcome.mail_keys += orders.refunded_for_stock(session, order, payment, short, refund_id)
    else:
        outcome.mail_keys += orders.paid(session, order, payment)


def _refund_made(deps: Deps, account: str, fresh: dict) -> str | None:
    """The id of a refund already made of this payment, if any."""
    intent = fresh.get("payment_intent")
    charge = intent.get("latest_charge") if isinstance(intent, dict) else None
    if not isinstance(charge, dict) or not charge.get("amount_refunded"):
        return None
    refunds = deps.client.v1.refunds.list(params={"payment_intent": intent["id"], "limit": 1},
                                          options={"stripe_account": account})
    return refunds.data[0].id if refunds.data else None


def checkout_ended(session: Session, account: str, obj: dict) -> None:
    order = orders.for_checkout(session, account, obj["id"])
    if order is not None:
        orders.expired(session, order)


def charge_refunded(session: Session, account: str, obj: dict) -> None:
    payment_intent = id_of(obj.get("payment_intent"))
    order = session.scalar(select(Order).where(
        Order.payment_intent_id == payment_intent, Order.stripe_account_id == account)
        .with_for_update()) if payment_intent else None
    if order is not None:
        orders.refunds_seen(session, order, int(obj.get("amount_refunded") or 0))


# What the shops' events change here; the rest (products, prices, payment intents...) are
# stored for the record and take no lock.
HANDLED = frozenset({
    "account.updated", "account.application.deauthorized", "checkout.session.completed",
    "checkout.session.async_payment_succeeded", "checkout.session.expired",
    "checkout.session.async_payment_failed", "charge.refunded"})


def handle_connect(session: Session, deps: Deps, event: dict) -> Outcome:
    outcome = Outcome()
    if event["type"] not in HANDLED:
        return outcome
    account, obj = event["account"], event["data"]["object"]
    shop = session.scalar(select(Shop).where(Shop.stripe_account_id == account).with_for_update())
    if shop is None:
        return outcome  # an account the platform does not know: stored, ignored
    match event["type"]:
        case "account.updated":
            shop_rules.connected(shop, fetch_account(deps.client, account))
        case "account.application.deauthorized":
            shop_rules.disconnect(shop)
        case "checkout.session.completed" | "checkout.session.async_payment_succeeded":
            checkout_paid(session, deps, account, obj, outcome)
        case "checkout.session.expired" | "checkout.session.async_payment_failed":
            checkout_ended(session, account, obj)
        case "charge.refunded":
            charge_refunded(session, account, obj)
        case _:
            pass  # stored for the record
    return outcome
