"""Changing plan from the portal (``/portal/billing/plan``): what a change costs now and on
the next invoice (Stripe's invoice preview, with proration), what a downgrade makes
read-only, and the change itself. An upgrade applies at once, prorated and charged then; a
downgrade applies when the paid period ends (a subscription schedule), so the tenant keeps
what it paid for until then. Changes go to Stripe first; the mirror follows its answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import stripe
from sqlalchemy.orm import Session

from billing.cancellation import OFFER_KEY
from billing.checkout import price_id
from billing.stripe_client import as_dict
from billing.subscriptions import fetch_subscription, stripe_time
from db.base import utcnow
from db.messages import N_
from db.models import Subscription, Tenant
from db.models.tenants import BillingState
from db.refusals import Refused
from plans.catalog import Catalog, Plan, Price
from plans.entitlements import Usage, used
from tenants import lifecycle


@dataclass(frozen=True)
class Loss:
    """What a downgrade makes read-only: a feature, or rows over a limit."""

    what: str  # a feature's or limit's label in the catalog
    over: int = 0  # rows beyond the new limit (0 for a feature)


@dataclass
class Preview:
    plan: Plan
    price: Price
    upgrade: bool
    due_now: int  # cents, VAT included, charged at once (0 for a downgrade)
    next_amount: int  # the first invoice at the new price
    next_date: datetime  # when it is charged (and a downgrade applies)
    currency: str
    proration_date: int  # the moment the amounts were worked out for; confirmed with them
    losses: list[Loss] = field(default_factory=list)


def target(catalog: Catalog, tenant: Tenant, lookup_key: str) -> tuple[Plan, Price]:
    found = catalog.by_lookup_key(lookup_key or "")
    if found is None:
        raise Refused(N_("There is no such plan. Choose one from the list."))
    if (found[0].id, found[1].interval) == (tenant.plan_id, tenant.interval):
        raise Refused(N_("This is already your plan."))
    if tenant.billing_state != BillingState.ACTIVE or not tenant.stripe_subscription_id:
        raise Refused(N_(
            "The plan can be changed while the subscription is paid up. Please settle the open "
            "invoice first."))
    return found


def is_upgrade(catalog: Catalog, tenant: Tenant, plan: Plan, price: Price) -> bool:
    """Up a plan, or the same plan paid yearly: at once. Down a plan, or back to monthly:
    at the end of the period."""
    order = list(catalog.plans)
    rank = (order.index(plan.id), price.interval == "year")
    return rank > (order.index(tenant.plan_id), tenant.interval == "year")


def losses(session: Session, catalog: Catalog, tenant: Tenant, plan: Plan) -> list[Loss]:
    current = catalog.plan(tenant.plan_id)
    found = [Loss(label) for feature, label in catalog.features.items()
             if current.has(feature) and not plan.has(feature)]
    for name, label in catalog.limits.items():
        over = Usage(name, label, used(session, tenant, name), plan.limit(name)).over
        if over:
            found.append(Loss(label, over))
    return found


def _preview_invoice(client: stripe.StripeClient, tenant: Tenant, item_id: str, new_price: str,
                     proration: str, proration_date: int):
    return client.v1.invoices.create_preview(params={
        "customer": tenant.stripe_customer_id, "subscription": tenant.stripe_subscription_id,
        "subscription_details": {"items": [{"id": item_id, "price": new_price}],
                                 "proration_behavior": proration,
                                 "proration_date": proration_date}})


def preview(session: Session, client: stripe.StripeClient, catalog: Catalog, tenant: Tenant,
            lookup_key: str, now: datetime | None = None) -> Preview:
    plan, price = target(catalog, tenant, lookup_key)
    current = fetch_subscription(client, tenant.stripe_subscription_id)
    item = current["items"]["data"][0]
    new_price = price_id(client, price.lookup_key)
    proration_date = int((now or utcnow()).timestamp())
    upgrade = is_upgrade(catalog, tenant, plan, price)
    period_end = stripe_time(item["current_period_end"])
    following = _preview_invoice(client, tenant, item["id"], new_price, "none", proration_date)
    if not upgrade:
        return Preview(plan, price, False, 0, following.amount_due, period_end, following.currency,
                       proration_date, losses(session, catalog, tenant, plan))
    immediate = _preview_invoice(client, tenant, item["id"], new_price, "always_invoice",
                                 proration_date)
    next_date = period_end
    if price.interval != tenant.interval:  # a new billing cycle starts now
        next_date = stripe_time(max(line.period.end for line in immediate.lines.data))
    return Preview(plan, price, True, immediate.amount_due, following.amount_due, next_date,
                   immediate.currency, proration_date)


def change(client: stripe.StripeClient, catalog: Catalog, tenant: Tenant, lookup_key: str,
           proration_date: int | None, confirmed: bool) -> tuple[Plan, bool]:
    """Change to the plan of ``lookup_key``; return it and whether it applied at once.

    An upgrade is charged now, the prorated amount the preview for ``proration_date`` showed
    (a declined charge changes nothing). A downgrade, once ``confirmed`` (the owner read what
    becomes read-only), starts when the paid period ends. The tenant follows Stripe's
    ``customer.subscription.updated`` (``follow``), as after a change in Stripe's own portal:
    the portal's requests may not write a plan."""
    plan, price = target(catalog, tenant, lookup_key)
    if is_upgrade(catalog, tenant, plan, price):
        if proration_date is None:
            raise Refused(N_("Open the plan's price preview first."))
        _upgrade(client, tenant, price, proration_date)
        return plan, True
    if not confirmed:
        raise Refused(N_("Please confirm that you have read what changes."))
    _schedule_downgrade(client, tenant, price)
    return plan, False


def _upgrade(client: stripe.StripeClient, tenant: Tenant, price: Price, proration_date: int) -> None:
    current = fetch_subscription(client, tenant.stripe_subscription_id)
    _release_schedule(client, current)
    try:
        client.v1.subscriptions.update(tenant.stripe_subscription_id, params={
            "items": [{"id": current["items"]["data"][0]["id"],
                       "price": price_id(client, price.lookup_key)}],
            "proration_behavior": "always_invoice", "proration_date": proration_date,
            "payment_behavior": "error_if_incomplete"},
            options={"idempotency_key": f"plan-{tenant.id}-{price.lookup_key}-{proration_date}"})
    except stripe.CardError:
        raise Refused(N_(
            "Your payment method was declined, so the plan was not changed. Update it in "
            "billing and try again.")) from None


def _schedule_downgrade(client: stripe.StripeClient, tenant: Tenant, price: Price) -> None:
    """The smaller plan from the end of the paid period (a subscription schedule with two
    phases, released after), nothing charged now."""
    current = fetch_subscription(client, tenant.stripe_subscription_id)
    item = current["items"]["data"][0]
    schedule_id = _schedule_of(current)
    if not schedule_id:
        schedule_id = client.v1.subscription_schedules.create(
            params={"from_subscription": tenant.stripe_subscription_id}).id
    client.v1.subscription_schedules.update(schedule_id, params={
        "end_behavior": "release",
        "phases": [
            {"items": [{"price": item["price"]["id"]}], "start_date": item["current_period_start"],
             "end_date": item["current_period_end"]},
            {"items": [{"price": price_id(client, price.lookup_key)}],
             "start_date": item["current_period_end"]},
        ]})


def keep_current_plan(client: stripe.StripeClient, tenant: Tenant) -> None:
    """Call off a scheduled downgrade."""
    if not tenant.scheduled_plan_id:
        raise Refused(N_("No plan change is scheduled."))
    _release_schedule(client, fetch_subscription(client, tenant.stripe_subscription_id))


def _schedule_of(subscription: dict) -> str | None:
    schedule = subscription.get("schedule")
    return schedule.get("id") if isinstance(schedule, dict) else schedule


def _release_schedule(client: stripe.StripeClient, subscription: dict) -> None:
    if schedule := _schedule_of(subscription):
        client.v1.subscription_schedules.release(schedule)


def scheduled_change(client: stripe.StripeClient, catalog: Catalog,
                     subscription: dict) -> tuple[str, str, datetime] | None:
    """The plan, interval and moment a subscription schedule moves the subscription to next
    (a downgrade chosen here or in Stripe's portal), or None."""
    schedule_id = _schedule_of(subscription)
    if not schedule_id:
        return None
    schedule = as_dict(client.v1.subscription_schedules.retrieve(
        schedule_id, params={"expand": ["phases.items.price"]}))
    period_end = subscription["items"]["data"][0]["current_period_end"]
    for phase in schedule.get("phases") or []:
        price = ((phase.get("items") or [{}])[0]).get("price")
        found = catalog.by_lookup_key(price.get("lookup_key") or "") if isinstance(price, dict) else None
        if phase.get("start_date", 0) >= period_end and found is not None:
            return found[0].id, found[1].interval, stripe_time(phase["start_date"])
    return None


def follow(session: Session, client: stripe.StripeClient, catalog: Catalog, tenant: Tenant,
           fresh: dict, mirror: Subscription, was_cancelling: bool) -> None:
    """The tenant as its live subscription now is (on ``customer.subscription.updated``):
    its plan, the downgrade scheduled for later, the retention offer spent, and a record of
    each change the owner made, here or in Stripe's portal."""
    previous = (tenant.plan_id, tenant.interval)
    tenant.plan_id, tenant.interval = mirror.plan_id, mirror.interval
    tenant.stripe_subscription_id = mirror.id
    if previous != (mirror.plan_id, mirror.interval):
        lifecycle.record(session, tenant, "plan_changed",
                         f"{previous[0]}/{previous[1]} -> {mirror.plan_id}/{mirror.interval}")
    change = scheduled_change(client, catalog, fresh)
    tenant.scheduled_plan_id, tenant.scheduled_interval, tenant.scheduled_change_at = \
        change or (None, None, None)
    if (fresh.get("metadata") or {}).get(OFFER_KEY) and tenant.retention_offer_used_at is None:
        tenant.retention_offer_used_at = utcnow()
    if mirror.cancel_at_period_end and not was_cancelling:
        lifecycle.record(session, tenant, "cancellation_scheduled",
                         f"{mirror.cancellation_feedback}: {mirror.cancellation_comment or ''}"[:500])
    elif was_cancelling and not mirror.cancel_at_period_end:
        lifecycle.record(session, tenant, "cancellation_undone")
