"""The back office's revenue figures, computed in one place from the mirrored Stripe state and
the revenue ledger (``mrr_changes``, see ``billing/mrr_ledger.py`` for what a subscription
counts for). Every function takes the session and ``now``; amounts are cents, excluding VAT.

The formulas, in plain words:

- MRR: the sum, over the active subscriptions, of what each brings in a month: its price, a
  yearly price divided by 12, less a repeating or forever coupon, without VAT. ARR: MRR x 12.
- Trials are counted apart: their number, and their MRR-to-be (what they will bring once they
  pay: the same sum over the trialing subscriptions, as the mirror has them now).
- Past due is counted apart: their number, and the MRR of those that paid before (a trial that
  ended without payment is past due with nothing to lose).
- Active tenants per plan: tenants (Stripe customers) paying, trialing and past due, by the
  plan of their subscription.
- Net new MRR this month: the movements since the first of the month (new, expansion,
  contraction, churn, reactivation), net = new + expansion + reactivation - contraction - churn.
- Signups per day (the last 30 days): by the day the signup started, how many started, how
  many of them are paid (paid, or live already) and how many were abandoned (expired: Checkout
  left or the name's reservation ran out). The rest are still pending.
- Trial conversion (the last 30 days): of the trials that ended in that time, the share whose
  subscription became active (paid) since.
- ARPA: MRR divided by the paying tenants, rounded to a cent.
- LTV estimate: ARPA x the expected lifetime in months, the lifetime being 1 divided by the
  average monthly revenue churn of the last 12 full months (months without MRR at their start
  left out). The lifetime is capped at 60 months (five years); with no revenue churn at all in
  those months, the cap is the lifetime (``capped`` says so).

The months, each with its figures for the small charts, are in ``staff/revenue_history.py``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.mrr_ledger import monthly_value
from db.models import MrrState, Signup, Subscription
from db.models.signups import SignupStatus
from plans.catalog import Catalog
from staff.revenue_books import (
    REPORTING_ZONE,
    NetNewMrr,
    books_at,
    half_up,
    just_after,
    month_start,
    movements,
    ratio,
    trial_endings,
)
from staff.revenue_history import MonthFigures, monthly_history

LIFETIME_CAP_MONTHS = 60
PAID_STATUSES = (SignupStatus.PAID, SignupStatus.READY)


@dataclass(frozen=True)
class MrrNow:
    mrr_cents: int
    arr_cents: int
    paying_tenants: int
    arpa_cents: int
    trialing: int  # trialing subscriptions
    trialing_mrr_cents: int  # their MRR-to-be
    past_due: int  # past-due subscriptions
    past_due_mrr_cents: int


@dataclass(frozen=True)
class PlanTenants:
    plan_id: str
    paying: int
    trialing: int
    past_due: int


@dataclass(frozen=True)
class DaySignups:
    day: date
    started: int
    paid: int
    abandoned: int


@dataclass(frozen=True)
class TrialConversion:
    ended: int
    converted: int
    rate: Decimal | None  # None: no trial ended


@dataclass(frozen=True)
class LtvEstimate:
    arpa_cents: int
    average_revenue_churn: Decimal | None  # None: no month with MRR at its start
    lifetime_months: Decimal
    capped: bool
    ltv_cents: int


def current_mrr(session: Session, catalog: Catalog, now: datetime) -> MrrNow:
    books = books_at(session, just_after(now))
    trials = books.in_state(MrrState.TRIALING)
    mirrors = session.execute(select(
        Subscription.id, Subscription.price_lookup_key, Subscription.discount_coupon,
    ).where(Subscription.id.in_([entry.subscription_id for entry in trials]))).all()
    paying = len(books.paying_customers())
    return MrrNow(
        mrr_cents=books.mrr_cents,
        arr_cents=books.mrr_cents * 12,
        paying_tenants=paying,
        arpa_cents=half_up(books.mrr_cents, paying),
        trialing=len(trials),
        trialing_mrr_cents=sum(monthly_value(catalog, row.price_lookup_key, row.discount_coupon)
                               for row in mirrors),
        past_due=len(books.in_state(MrrState.PAST_DUE)),
        past_due_mrr_cents=books.past_due_mrr_cents,
    )


def tenants_per_plan(session: Session, catalog: Catalog, now: datetime) -> list[PlanTenants]:
    """Every plan of the catalog, in its order, then any other plan a subscription is on."""
    books = books_at(session, just_after(now))
    counted = {state: Counter() for state in (MrrState.ACTIVE, MrrState.TRIALING, MrrState.PAST_DUE)}
    for state, counter in counted.items():
        customers = {(entry.plan_id, entry.customer_id) for entry in books.in_state(state)}
        counter.update(plan_id for plan_id, _customer in customers)
    others = sorted({plan_id for counter in counted.values() for plan_id in counter
                     if plan_id and plan_id not in catalog.plans})
    return [PlanTenants(plan_id, counted[MrrState.ACTIVE][plan_id],
                        counted[MrrState.TRIALING][plan_id], counted[MrrState.PAST_DUE][plan_id])
            for plan_id in [*catalog.plans, *others]]


def net_new_mrr(session: Session, now: datetime, zone: ZoneInfo = REPORTING_ZONE) -> NetNewMrr:
    """This month's movements, from the first of the month until now."""
    return movements(session, month_start(now, zone), just_after(now))


def signups_per_day(session: Session, now: datetime, days: int = 30,
                    zone: ZoneInfo = REPORTING_ZONE) -> list[DaySignups]:
    """The last ``days`` days, today included, the oldest first (days without signups too)."""
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=zone)
    rows = session.execute(select(Signup.created_at, Signup.status).where(
        Signup.created_at >= since, Signup.created_at < just_after(now))).all()
    started, paid, abandoned = Counter(), Counter(), Counter()
    for created_at, status in rows:
        day = created_at.astimezone(zone).date()
        started[day] += 1
        paid[day] += status in PAID_STATUSES
        abandoned[day] += status == SignupStatus.EXPIRED
    return [DaySignups(day, started[day], paid[day], abandoned[day])
            for day in (first + timedelta(days=n) for n in range(days))]


def trial_conversion(session: Session, now: datetime, days: int = 30) -> TrialConversion:
    """Trials that ended in the last ``days`` days, and those of them that became active."""
    until = just_after(now)
    ended = trial_endings(session, now - timedelta(days=days), until, until=until)
    converted = sum(done for _at, done in ended)
    return TrialConversion(len(ended), converted, ratio(converted, len(ended)))


def ltv_from(arpa_cents: int, full_months: list[MonthFigures]) -> LtvEstimate:
    """The LTV estimate from ARPA and the revenue churn of ``full_months`` (see the module doc)."""
    rates = [month.revenue_churn_exact for month in full_months
             if month.revenue_churn_exact is not None]
    average = sum(rates, Fraction(0)) / len(rates) if rates else None
    capped = not average or 1 / average > LIFETIME_CAP_MONTHS
    lifetime = Fraction(LIFETIME_CAP_MONTHS) if capped else 1 / average
    return LtvEstimate(
        arpa_cents=arpa_cents,
        average_revenue_churn=ratio(average.numerator, average.denominator) if rates else None,
        lifetime_months=(Decimal(lifetime.numerator) / Decimal(lifetime.denominator)).quantize(
            Decimal("0.1"), ROUND_HALF_UP),
        capped=capped,
        ltv_cents=half_up((arpa_cents * lifetime).numerator, (arpa_cents * lifetime).denominator),
    )


def ltv_estimate(session: Session, catalog: Catalog, now: datetime, months: int = 12,
                 zone: ZoneInfo = REPORTING_ZONE) -> LtvEstimate:
    """ARPA now, churn of the ``months`` full months before the current one."""
    full_months = monthly_history(session, now, months + 1, zone)[:-1]
    return ltv_from(current_mrr(session, catalog, now).arpa_cents, full_months)


@dataclass(frozen=True)
class Dashboard:
    """Every figure of the back office's revenue page, and its months for the small charts."""

    now: MrrNow
    plans: list[PlanTenants]
    net_new_this_month: NetNewMrr
    months: list[MonthFigures]  # the last 12, the current one last
    signups: list[DaySignups]  # the last 30 days
    trials: TrialConversion  # the last 30 days
    ltv: LtvEstimate


def dashboard(session: Session, catalog: Catalog, now: datetime,
              zone: ZoneInfo = REPORTING_ZONE) -> Dashboard:
    figures = current_mrr(session, catalog, now)
    thirteen = monthly_history(session, now, 13, zone)  # 12 full months for the LTV, and now
    return Dashboard(
        now=figures,
        plans=tenants_per_plan(session, catalog, now),
        net_new_this_month=thirteen[-1].movements,
        months=thirteen[1:],
        signups=signups_per_day(session, now, zone=zone),
        trials=trial_conversion(session, now),
        ltv=ltv_from(figures.arpa_cents, thirteen[:-1]),
    )
