"""Reading the revenue ledger (``mrr_changes``, written by ``billing/mrr_ledger.py``): where
every subscription stood at a moment, the MRR movements between two moments, the trials that
ended, and the months the reports are cut into (in the agency's time zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from db.models import MrrChange, MrrMovement, MrrState

# Days and months begin at midnight here: the agency is Dutch.
REPORTING_ZONE = ZoneInfo("Europe/Amsterdam")
RATE = Decimal("0.0001")  # rates are shown to a hundredth of a percent


def ratio(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator`` to four decimals (half up); None when there is no base."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE, ROUND_HALF_UP)


def half_up(numerator: int, denominator: int) -> int:
    """Whole cents of ``numerator / denominator``, rounded half up; 0 when there is no base."""
    return (2 * numerator + denominator) // (2 * denominator) if denominator else 0


def just_after(moment: datetime) -> datetime:
    """The bound that takes in what happened at ``moment`` itself (the ledger reads ``< bound``)."""
    return moment + timedelta(microseconds=1)


def month_start(moment: datetime, zone: ZoneInfo = REPORTING_ZONE) -> datetime:
    """Midnight on the first of ``moment``'s month, in ``zone``."""
    local = moment.astimezone(zone)
    return datetime(local.year, local.month, 1, tzinfo=zone)


def add_months(start: datetime, months: int) -> datetime:
    """The first of the month ``months`` after (or before) the month starting at ``start``."""
    index = start.year * 12 + start.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=start.tzinfo)


@dataclass(frozen=True)
class Entry:
    """A subscription's latest ledger row at a moment."""

    subscription_id: str
    customer_id: str
    plan_id: str | None
    state: MrrState
    mrr_cents: int


@dataclass(frozen=True)
class Books:
    """Where every subscription stood at a moment (its latest ledger row before it)."""

    entries: tuple[Entry, ...]

    def _sum(self, state: MrrState) -> int:
        return sum(entry.mrr_cents for entry in self.entries if entry.state == state)

    @property
    def mrr_cents(self) -> int:
        """The MRR: what the paying (active) subscriptions bring in a month."""
        return self._sum(MrrState.ACTIVE)

    @property
    def past_due_mrr_cents(self) -> int:
        return self._sum(MrrState.PAST_DUE)

    @property
    def committed_mrr_cents(self) -> int:
        """Paying and past-due together: the base that churn and contraction are taken from."""
        return self.mrr_cents + self.past_due_mrr_cents

    def in_state(self, state: MrrState) -> list[Entry]:
        return [entry for entry in self.entries if entry.state == state]

    def paying_customers(self) -> frozenset[str]:
        """Customers (tenants) with an active subscription."""
        return frozenset(entry.customer_id for entry in self.in_state(MrrState.ACTIVE))

    def committed_customers(self) -> frozenset[str]:
        """Paying customers, and past-due ones that paid before: those a cancellation loses."""
        return self.paying_customers() | frozenset(
            entry.customer_id for entry in self.in_state(MrrState.PAST_DUE) if entry.mrr_cents > 0)


def books_at(session: Session, moment: datetime) -> Books:
    """Every subscription's latest ledger row written before ``moment``."""
    newest_first = func.row_number().over(
        partition_by=MrrChange.subscription_id, order_by=(MrrChange.at.desc(), MrrChange.id.desc()))
    ranked = select(MrrChange.subscription_id, MrrChange.customer_id, MrrChange.plan_id,
                    MrrChange.state, MrrChange.mrr_cents, newest_first.label("rank")
                    ).where(MrrChange.at < moment).subquery()
    rows = session.execute(select(ranked.c.subscription_id, ranked.c.customer_id, ranked.c.plan_id,
                                  ranked.c.state, ranked.c.mrr_cents)
                           .where(ranked.c.rank == 1).order_by(ranked.c.subscription_id)).all()
    return Books(tuple(Entry(row.subscription_id, row.customer_id, row.plan_id,
                             MrrState(row.state), row.mrr_cents) for row in rows))


@dataclass(frozen=True)
class NetNewMrr:
    """The MRR movements of a period, each in cents and not negative; ``net_cents`` adds the
    gains (new, expansion, reactivation) and takes off the losses (contraction, churn). It is
    the change of the committed MRR (paying and past-due) over the period."""

    new_cents: int = 0
    expansion_cents: int = 0
    contraction_cents: int = 0
    churn_cents: int = 0
    reactivation_cents: int = 0

    @property
    def net_cents(self) -> int:
        return (self.new_cents + self.expansion_cents + self.reactivation_cents
                - self.contraction_cents - self.churn_cents)


def movements(session: Session, start: datetime, end: datetime) -> NetNewMrr:
    """The movements of the ledger rows written from ``start`` up to (not including) ``end``:
    new and reactivation count the row's MRR, expansion and contraction the difference with
    the MRR before, churn the MRR before."""
    rows = session.execute(
        select(MrrChange.kind, func.sum(MrrChange.mrr_cents), func.sum(MrrChange.previous_mrr_cents))
        .where(MrrChange.at >= start, MrrChange.at < end).group_by(MrrChange.kind)).all()
    sums = {kind: (int(after), int(before)) for kind, after, before in rows}

    def of(kind: MrrMovement) -> tuple[int, int]:
        return sums.get(kind, (0, 0))

    return NetNewMrr(
        new_cents=of(MrrMovement.NEW)[0],
        expansion_cents=of(MrrMovement.EXPANSION)[0] - of(MrrMovement.EXPANSION)[1],
        contraction_cents=of(MrrMovement.CONTRACTION)[1] - of(MrrMovement.CONTRACTION)[0],
        churn_cents=of(MrrMovement.CHURN)[1],
        reactivation_cents=of(MrrMovement.REACTIVATION)[0],
    )


def trial_endings(session: Session, start: datetime, end: datetime,
                  until: datetime) -> list[tuple[datetime, bool]]:
    """(when, converted) of every trial that ended from ``start`` up to ``end``: a ledger row
    that leaves the trialing state. Converted: the subscription was active at some point from
    then on, before ``until`` (paid at once, or after a failed first payment)."""
    later = aliased(MrrChange)
    converted = exists().where(later.subscription_id == MrrChange.subscription_id,
                               later.state == MrrState.ACTIVE, later.at >= MrrChange.at,
                               later.at < until)
    rows = session.execute(select(MrrChange.at, converted).where(
        MrrChange.previous_state == MrrState.TRIALING, MrrChange.state != MrrState.TRIALING,
        MrrChange.at >= start, MrrChange.at < end).order_by(MrrChange.at)).all()
    return [(at, bool(done)) for at, done in rows]
