"""The revenue ledger (``mrr_changes``): one row each time a mirrored subscription's monthly
recurring revenue, its state class or its plan changes, written by ``mirror_subscription``.

What a subscription brings in a month (``monthly_value``): the catalog price of its lookup key,
less its coupon, without VAT (the catalog's prices exclude it), a yearly price divided by 12.
The coupon is the catalog's (``[coupons.*]``, a percentage): it is taken off the price as the
invoice takes it off (rounded half up to a cent), before a yearly amount is divided. A
``repeating`` or ``forever`` coupon counts as long as Stripe keeps the discount on the
subscription (it drops a repeating one when its months are up); a ``once`` coupon takes
something off one invoice, not off the recurring revenue, so it does not count. A coupon the
catalog does not know, and a price outside the catalog, count as nothing (no discount; 0).

Which of that counts (``mrr_cents`` of a row) follows the state class (``MrrState``):
active: all of it; past due: all of it if the subscription paid before (it is at risk, and the
figures show it apart), nothing if it never paid (a trial that ended without payment);
trialing and cancelled: nothing. Stripe's ``incomplete`` (a first payment under way) is not a
subscription yet: it writes no row.

The movement (``MrrMovement``) compares the row's ``mrr_cents`` with the row before it: from 0
up is new, or a reactivation when the customer counted MRR before (on any subscription); down
to 0 is churn; up or down between two amounts is expansion or contraction; the rest is none.
A failed payment (active to past due at the same amount) is therefore no movement: it becomes
churn only when the subscription is cancelled, and paying again moves nothing either.

The ledger is written under the customer's lock (events are processed one customer at a time),
so "the row before" is this subscription's latest row. A subscription the ledger has not seen
yet (mirrored before the ledger existed) starts with an opening row, compared with the mirror as
it was before this update.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Invoice, MrrChange, MrrMovement, MrrState, Subscription, Tenant
from plans.catalog import Catalog

# Stripe's subscription statuses, as the figures count them; a status not here writes no row.
STATE_OF_STATUS = {
    "trialing": MrrState.TRIALING,
    "active": MrrState.ACTIVE,
    "past_due": MrrState.PAST_DUE,
    "unpaid": MrrState.PAST_DUE,
    "canceled": MrrState.CANCELED,
    "incomplete_expired": MrrState.CANCELED,
    "paused": MrrState.CANCELED,  # a trial paused for want of a payment method: nothing comes in
}
MONTHS_OF_INTERVAL = {"month": 1, "year": 12}


@dataclass(frozen=True)
class Standing:
    """What a subscription counts for at one moment (a ledger row's after-side)."""

    state: MrrState
    mrr_cents: int
    plan_id: str | None = None
    interval: str | None = None


def state_of(status: str | None) -> MrrState | None:
    return STATE_OF_STATUS.get(status or "")


def half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up (both not negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def monthly_value(catalog: Catalog, lookup_key: str | None, coupon_id: str | None) -> int:
    """Cents a month, after the coupon, without VAT, whatever the state (see the module doc)."""
    found = catalog.by_lookup_key(lookup_key) if lookup_key else None
    if found is None:
        return 0
    _plan, price = found
    amount = price.amount
    coupon = catalog.coupons.get(coupon_id or "")
    if coupon is not None and coupon.duration != "once":
        amount -= half_up(amount * coupon.percent_off, 100)
    return half_up(amount, MONTHS_OF_INTERVAL.get(price.interval, 1))


def counted_mrr(state: MrrState, value: int, paid_before: bool) -> int:
    """The part of ``value`` a row in ``state`` counts (its ``mrr_cents``)."""
    if state == MrrState.ACTIVE or (state == MrrState.PAST_DUE and paid_before):
        return value
    return 0


def _paid_an_invoice(session: Session, subscription_id: str) -> bool:
    return bool(session.scalar(select(exists().where(
        Invoice.subscription_id == subscription_id, Invoice.amount_paid > 0))))


def standing_before(session: Session, catalog: Catalog, subscription_id: str) -> Standing | None:
    """The mirror's standing before an update (None: not mirrored yet). Call it before the
    upsert; ``record`` falls back on it for a subscription the ledger has not seen."""
    row = session.execute(select(
        Subscription.status, Subscription.price_lookup_key, Subscription.discount_coupon,
        Subscription.plan_id, Subscription.interval,
    ).where(Subscription.id == subscription_id)).one_or_none()
    state = state_of(row.status) if row else None
    if state is None:
        return None
    value = monthly_value(catalog, row.price_lookup_key, row.discount_coupon)
    paid_before = state == MrrState.PAST_DUE and _paid_an_invoice(session, subscription_id)
    return Standing(state, counted_mrr(state, value, paid_before), row.plan_id, row.interval)


def latest(session: Session, subscription_id: str) -> MrrChange | None:
    return session.scalar(select(MrrChange).where(MrrChange.subscription_id == subscription_id)
                          .order_by(MrrChange.at.desc(), MrrChange.id.desc()).limit(1))


def movement(previous_mrr: int, mrr: int, counted_before: bool) -> MrrMovement:
    """The kind of change from ``previous_mrr`` to ``mrr``; ``counted_before``: the customer
    had MRR on the ledger before (a return from 0 is then a reactivation)."""
    if previous_mrr == 0 and mrr > 0:
        return MrrMovement.REACTIVATION if counted_before else MrrMovement.NEW
    if previous_mrr > 0 and mrr == 0:
        return MrrMovement.CHURN
    if mrr > previous_mrr:
        return MrrMovement.EXPANSION
    if mrr < previous_mrr:
        return MrrMovement.CONTRACTION
    return MrrMovement.NONE


def record(session: Session, catalog: Catalog, mirror: Subscription, before: Standing | None,
           at: datetime | None = None) -> MrrChange | None:
    """Append the subscription's new standing when its MRR, state class or plan changed (the
    row, flushed), else nothing (None): a repeated event writes no row."""
    state = state_of(mirror.status)
    if state is None:
        return None
    last = latest(session, mirror.id)
    previous = before if last is None else Standing(
        MrrState(last.state), last.mrr_cents, last.plan_id, last.interval)
    if previous is None and state == MrrState.CANCELED:
        return None  # ended before it ever counted: nothing to record
    paid_before = (previous.mrr_cents > 0 if previous is not None
                   else _paid_an_invoice(session, mirror.id))
    value = monthly_value(catalog, mirror.price_lookup_key, mirror.discount_coupon)
    now = Standing(state, counted_mrr(state, value, paid_before), mirror.plan_id, mirror.interval)
    if last is not None and now == previous:
        return None
    if last is None and state == MrrState.CANCELED and previous.mrr_cents == 0:
        return None
    previous_mrr = previous.mrr_cents if previous is not None else 0
    counted_before = bool(session.scalar(select(exists().where(
        MrrChange.customer_id == mirror.customer_id, MrrChange.mrr_cents > 0))))
    row = MrrChange(
        subscription_id=mirror.id, customer_id=mirror.customer_id,
        tenant_id=session.scalar(select(Tenant.id).where(
            Tenant.stripe_customer_id == mirror.customer_id)),
        at=at or utcnow(), plan_id=mirror.plan_id, interval=mirror.interval,
        mrr_cents=now.mrr_cents, state=state, previous_mrr_cents=previous_mrr,
        previous_state=previous.state if previous is not None else None,
        kind=movement(previous_mrr, now.mrr_cents, counted_before),
    )
    session.add(row)
    session.flush()
    return row
