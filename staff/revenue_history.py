"""The revenue figures month by month, for the back office's small charts (``staff/revenue.py``
has the figures of today). Months run from midnight on the first in the agency's time zone; the
current month runs until now.

Per month:

- MRR at month end: what the active subscriptions bring in a month, at the end of the month
  (now, for the current one); past-due MRR apart.
- Paying tenants at month end and ARPA: MRR divided by paying tenants, rounded to a cent.
- Net new MRR: the month's movements (new, expansion, contraction, churn, reactivation; see
  ``NetNewMrr``), which add up to the change of the committed MRR (paying plus past-due).
- Logo churn: tenants lost divided by tenants at the month's start. Tenants at the start: those
  paying, or past due after having paid, at the start. Lost: those of them that are neither at
  the end (a tenant that leaves and comes back within the month is not lost).
- Revenue churn: churned plus contraction MRR of the month, divided by the committed MRR
  (paying plus past-due) at the month's start. Past-due MRR is in the base because a past-due
  subscription that is cancelled is churn.
- Trials ended in the month, and how many of them converted (became active since).

A rate without a base (nothing at the month's start) is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from staff.revenue_books import (
    REPORTING_ZONE,
    NetNewMrr,
    add_months,
    books_at,
    half_up,
    just_after,
    month_start,
    movements,
    ratio,
    trial_endings,
)


@dataclass(frozen=True)
class MonthFigures:
    month: date  # its first day
    mrr_cents: int  # at the month's end (now, for the current month)
    past_due_mrr_cents: int
    paying_tenants: int
    arpa_cents: int
    movements: NetNewMrr
    tenants_at_start: int
    tenants_lost: int
    logo_churn: Decimal | None
    committed_mrr_at_start_cents: int  # paying plus past-due, at the month's start
    revenue_churn: Decimal | None
    trials_ended: int
    trials_converted: int

    @property
    def trial_conversion(self) -> Decimal | None:
        return ratio(self.trials_converted, self.trials_ended)

    @property
    def revenue_churn_exact(self) -> Fraction | None:
        """The revenue churn unrounded (for the LTV estimate)."""
        if not self.committed_mrr_at_start_cents:
            return None
        lost = self.movements.churn_cents + self.movements.contraction_cents
        return Fraction(lost, self.committed_mrr_at_start_cents)


def monthly_history(session: Session, now: datetime, months: int = 12,
                    zone: ZoneInfo = REPORTING_ZONE) -> list[MonthFigures]:
    """The last ``months`` months, the current one included, the oldest first."""
    first = add_months(month_start(now, zone), -(months - 1))
    bounds = [add_months(first, n) for n in range(months)] + [just_after(now)]
    books = [books_at(session, bound) for bound in bounds]
    endings = trial_endings(session, bounds[0], bounds[-1], until=bounds[-1])
    figures = []
    for n in range(months):
        start, end, before, after = bounds[n], bounds[n + 1], books[n], books[n + 1]
        moved = movements(session, start, end)
        at_start = before.committed_customers()
        lost = at_start - after.committed_customers()
        paying = len(after.paying_customers())
        ended = [converted for at, converted in endings if start <= at < end]
        figures.append(MonthFigures(
            month=start.date(),
            mrr_cents=after.mrr_cents,
            past_due_mrr_cents=after.past_due_mrr_cents,
            paying_tenants=paying,
            arpa_cents=half_up(after.mrr_cents, paying),
            movements=moved,
            tenants_at_start=len(at_start),
            tenants_lost=len(lost),
            logo_churn=ratio(len(lost), len(at_start)),
            committed_mrr_at_start_cents=before.committed_mrr_cents,
            revenue_churn=ratio(moved.churn_cents + moved.contraction_cents,
                                before.committed_mrr_cents),
            trials_ended=len(ended),
            trials_converted=sum(ended),
        ))
    return figures
