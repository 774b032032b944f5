"""The revenue figures (``staff/revenue.py``) against a book of subscriptions built by hand.

Thirteen customers live a year of Stripe subscription events, each mirrored through
``billing.subscriptions.mirror_subscription`` at its own (frozen) time, so the revenue ledger is
written the way the webhooks write it. Every figure is then checked against the numbers worked
out in the comments. "Now" is Saturday 20 June 2026, noon in Amsterdam; months and days are
Amsterdam's.

Prices (cents, excl. VAT): Starter 2900 a month or 29000 a year (29000 / 12 = 2416.67: 2417),
Professional 7900 or 79000 (6583.33: 6583), Enterprise 19900 or 199000 (16583.33: 16583).
Coupons: welcome10 (10 %, once: not recurring, so not in the MRR), stay50 (50 %, 3 months).

The customers (all events at noon):

  M  Enterprise yearly, new 10 May 2025 (before the charts' first month)        16583
  I  Professional monthly, new 5 Jul 2025, cancelled 20 Jan 2026                  7900 -> 0
  F  Starter yearly, new 15 Jul 2025, past due 12 Jun 2026 (paid before)          2417
  A  Starter monthly, new 10 Aug 2025                                             2900
  H  Enterprise monthly, new 20 Aug 2025, downgraded to Professional 2 Apr 2026  19900 -> 7900
  B  Professional yearly, new 5 Sep 2025                                          6583
  J  Starter monthly, new 12 Sep 2025, cancelled 5 Dec 2025; subscribes again
     (a new subscription) 3 Apr 2026                                              2900 -> 0 -> 2900
  C  Enterprise monthly, new 1 Oct 2025, stay50 from 5 May 2026                  19900 -> 9950
  G  Starter monthly, new 20 Oct 2025, upgraded to Professional 14 Feb 2026       2900 -> 7900
  O  Starter trial 20 May 2026, cancelled during the trial 31 May 2026              0
  D  Starter trial 25 May 2026, paid when it ended 8 Jun 2026                       0 -> 2900
  E  Professional trial 28 May 2026, ended unpaid 11 Jun 2026 (past due)            0
  L  Starter monthly with welcome10, new 2 Jun 2026                               2900
  K  Professional trial from 15 Jun 2026 (MRR-to-be 7900)                           0

November 2025 and March 2026 have no change at all.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from billing.subscriptions import mirror_subscription
from db.models import MrrChange, Signup, Tenant
from db.models.revenue import MrrMovement, MrrState
from db.models.signups import SignupStatus
from db.models.tenants import ProvisioningState
from staff import revenue
from staff.revenue_books import NetNewMrr
from worker.services import services

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 6, 20, 12, 0, tzinfo=AMSTERDAM)


def at(year, month, day, hour=12, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


class Book:
    """Customers and their subscriptions at (imagined) Stripe, mirrored at the time of each
    change, as the webhook handlers mirror them."""

    def __init__(self, session, catalog):
        self.session, self.catalog = session, catalog
        self.run = uuid.uuid4().hex[:8]
        self.current: dict[str, dict] = {}  # sub id -> Stripe's subscription

    def customer(self, name: str) -> str:
        return f"cus_{name}_{self.run}"

    def sub_id(self, name: str, number: int = 1) -> str:
        return f"sub_{name}{number}_{self.run}"

    def mirror(self, when: datetime, sub: dict):
        self.current[sub["id"]] = sub
        with freeze_time(when):
            mirror_subscription(self.session, self.catalog, sub)

    def start(self, when, name, lookup_key, status="active", coupon=None, number=1):
        sub = {
            "id": self.sub_id(name, number), "object": "subscription",
            "customer": self.customer(name), "status": status, "metadata": {},
            "items": {"data": [{"price": {"lookup_key": lookup_key},
                                "current_period_end": int(when.timestamp()) + 30 * 86400}]},
            "cancel_at_period_end": False, "canceled_at": None,
            "cancellation_details": {"comment": None, "feedback": None, "reason": None},
            "discounts": [], "trial_end": None,
        }
        if status == "trialing":
            sub["trial_end"] = int(when.timestamp()) + 14 * 86400
        if coupon:
            sub["discounts"] = [self._discount(coupon, when)]
        self.mirror(when, sub)

    def change(self, when, name, number=1, **changes):
        sub = {**self.current[self.sub_id(name, number)], **changes}
        if "lookup_key" in changes:
            sub["items"] = {"data": [{"price": {"lookup_key": sub.pop("lookup_key")},
                                      "current_period_end": int(when.timestamp()) + 30 * 86400}]}
        if "coupon" in changes:
            sub["discounts"] = [self._discount(sub.pop("coupon"), when)]
        if changes.get("status") == "canceled":
            sub["canceled_at"] = int(when.timestamp())
        if changes.get("status") in ("active", "past_due", "canceled"):
            sub["trial_end"] = None
        self.mirror(when, sub)

    def _discount(self, coupon: str, when: datetime) -> dict:
        return {"id": f"di_{uuid.uuid4().hex[:12]}", "object": "discount",
                "source": {"coupon": coupon, "type": "coupon"}, "start": int(when.timestamp()),
                "end": int(when.timestamp()) + 92 * 86400 if coupon == "stay50" else None}

    def rows(self, name: str) -> list[MrrChange]:
        return self.session.scalars(select(MrrChange).where(
            MrrChange.customer_id == self.customer(name)).order_by(MrrChange.at, MrrChange.id)).all()


@pytest.fixture
def catalog(app):
    return services(app).catalog


@pytest.fixture
def book(db_session, catalog):
    """The year of events of the module's docstring, in the order they happened."""
    book = Book(db_session, catalog)
    # G's tenant exists before its events, so its ledger rows name it.
    db_session.add(Tenant(company="G", subdomain=f"g-{book.run}", plan_id="starter",
                          interval="month", template="corporate",
                          provisioning_state=ProvisioningState.ACTIVE,
                          stripe_customer_id=book.customer("G")))
    db_session.flush()

    book.start(at(2025, 5, 10), "M", "enterprise_yearly")
    book.start(at(2025, 7, 5), "I", "professional_monthly")
    book.start(at(2025, 7, 15), "F", "starter_yearly")
    book.start(at(2025, 8, 10), "A", "starter_monthly")
    book.start(at(2025, 8, 20), "H", "enterprise_monthly")
    book.start(at(2025, 9, 5), "B", "professional_yearly")
    book.start(at(2025, 9, 12), "J", "starter_monthly")
    book.start(at(2025, 10, 1), "C", "enterprise_monthly")
    book.start(at(2025, 10, 20), "G", "starter_monthly")
    # November 2025: nothing.
    book.change(at(2025, 12, 5), "J", status="canceled")
    book.change(at(2026, 1, 20), "I", status="canceled")
    book.change(at(2026, 2, 14), "G", lookup_key="professional_monthly")
    # March 2026: nothing.
    book.change(at(2026, 4, 2), "H", lookup_key="professional_monthly")
    book.start(at(2026, 4, 3), "J", "starter_monthly", number=2)
    book.change(at(2026, 5, 5), "C", coupon="stay50")
    book.start(at(2026, 5, 20), "O", "starter_monthly", status="trialing")
    book.start(at(2026, 5, 25), "D", "starter_monthly", status="trialing")
    book.start(at(2026, 5, 28), "E", "professional_monthly", status="trialing")
    book.change(at(2026, 5, 31), "O", status="canceled")
    book.start(at(2026, 6, 2), "L", "starter_monthly", coupon="welcome10")
    book.change(at(2026, 6, 8), "D", status="active")
    book.change(at(2026, 6, 11), "E", status="past_due")
    book.change(at(2026, 6, 12), "F", status="past_due")
    book.start(at(2026, 6, 15), "K", "professional_monthly", status="trialing")
    db_session.commit()
    return book


def test_the_ledger_holds_each_change_with_its_movement(book, db_session):
    def kinds(name):
        return [(row.state, row.mrr_cents, row.previous_mrr_cents, row.kind)
                for row in book.rows(name)]

    assert kinds("M") == [("active", 16583, 0, "new")]  # 199000 / 12 = 16583.33
    assert kinds("F") == [("active", 2417, 0, "new"),  # 29000 / 12 = 2416.67
                          ("past_due", 2417, 2417, "none")]  # paid before: still counted, apart
    assert kinds("I") == [("active", 7900, 0, "new"), ("canceled", 0, 7900, "churn")]
    assert kinds("H") == [("active", 19900, 0, "new"), ("active", 7900, 19900, "contraction")]
    assert kinds("G") == [("active", 2900, 0, "new"), ("active", 7900, 2900, "expansion")]
    # Cancelled, then a new subscription of the same customer: a reactivation, not new.
    assert kinds("J") == [("active", 2900, 0, "new"), ("canceled", 0, 2900, "churn"),
                          ("active", 2900, 0, "reactivation")]
    assert kinds("C") == [("active", 19900, 0, "new"),
                          ("active", 9950, 19900, "contraction")]  # 19900 less 50 %
    assert kinds("D") == [("trialing", 0, 0, "none"), ("active", 2900, 0, "new")]
    # A trial that ended unpaid never counted: past due with nothing to lose.
    assert kinds("E") == [("trialing", 0, 0, "none"), ("past_due", 0, 0, "none")]
    assert kinds("O") == [("trialing", 0, 0, "none"), ("canceled", 0, 0, "none")]
    assert kinds("L") == [("active", 2900, 0, "new")]  # welcome10 is once: not recurring
    assert kinds("K") == [("trialing", 0, 0, "none")]

    first, upgrade = book.rows("G")
    tenant_id = db_session.scalar(select(Tenant.id).where(
        Tenant.stripe_customer_id == book.customer("G")))
    assert (upgrade.subscription_id, upgrade.tenant_id, upgrade.at) == (
        book.sub_id("G"), tenant_id, at(2026, 2, 14))
    assert (first.plan_id, upgrade.plan_id, upgrade.interval) == ("starter", "professional", "month")
    assert (upgrade.previous_state, upgrade.state) == (MrrState.ACTIVE, MrrState.ACTIVE)
    assert book.rows("B")[0].interval == "year" and book.rows("A")[0].tenant_id is None
    assert [row.previous_state for row in book.rows("D")] == [None, MrrState.TRIALING]


def test_the_figures_of_today(book, db_session, catalog):
    now = revenue.current_mrr(db_session, catalog, NOW)
    # Paying: A 2900 + B 6583 + C 9950 + D 2900 + G 7900 + H 7900 + J 2900 + L 2900
    # + M 16583 = 60516. F is past due (apart), E past due without having paid, K trialing.
    assert now.mrr_cents == 60516
    assert now.arr_cents == 726192  # 60516 x 12
    assert now.paying_tenants == 9  # A B C D G H J L M
    assert now.arpa_cents == 6724  # 60516 / 9 = 6724
    assert (now.trialing, now.trialing_mrr_cents) == (1, 7900)  # K: Professional monthly
    assert (now.past_due, now.past_due_mrr_cents) == (2, 2417)  # E (0) and F (2417)

    assert revenue.tenants_per_plan(db_session, catalog, NOW) == [
        revenue.PlanTenants("starter", paying=4, trialing=0, past_due=1),  # A D J L; F
        revenue.PlanTenants("professional", paying=3, trialing=1, past_due=1),  # B G H; K; E
        revenue.PlanTenants("enterprise", paying=2, trialing=0, past_due=0),  # C M
    ]

    # June so far: L new 2900, D new 2900 (its trial paid). E and F moved no MRR.
    assert revenue.net_new_mrr(db_session, NOW) == NetNewMrr(new_cents=5800)
    assert revenue.net_new_mrr(db_session, NOW).net_cents == 5800

    # Trials ended since 21 May noon: O (31 May, cancelled), D (8 Jun, paid), E (11 Jun,
    # unpaid): 1 of 3.
    assert revenue.trial_conversion(db_session, NOW) == revenue.TrialConversion(
        ended=3, converted=1, rate=Decimal("0.3333"))


# Per chart month: MRR at month end, past-due MRR, paying tenants, ARPA (MRR / paying, half up),
# movements (new, expansion, contraction, churn, reactivation), tenants at the start and lost,
# logo churn, committed MRR at the start (paying + past due), revenue churn, trials ended and
# converted. Committed MRR at a month's start is the previous month's end (no past due before
# June 2026); at 1 July 2025 it is M alone: 16583.
MONTHS = [
    # July: I 7900 + F 2417 new. 16583 + 10317 = 26900; 26900 / 3 = 8966.67
    (date(2025, 7, 1), 26900, 0, 3, 8967, (10317, 0, 0, 0, 0), 1, 0, "0", 16583, "0", 0, 0),
    # August: A 2900 + H 19900 new. 49700 / 5 = 9940
    (date(2025, 8, 1), 49700, 0, 5, 9940, (22800, 0, 0, 0, 0), 3, 0, "0", 26900, "0", 0, 0),
    # September: B 6583 + J 2900 new. 59183 / 7 = 8454.71
    (date(2025, 9, 1), 59183, 0, 7, 8455, (9483, 0, 0, 0, 0), 5, 0, "0", 49700, "0", 0, 0),
    # October: C 19900 + G 2900 new. 81983 / 9 = 9109.22
    (date(2025, 10, 1), 81983, 0, 9, 9109, (22800, 0, 0, 0, 0), 7, 0, "0", 59183, "0", 0, 0),
    # November: no change.
    (date(2025, 11, 1), 81983, 0, 9, 9109, (0, 0, 0, 0, 0), 9, 0, "0", 81983, "0", 0, 0),
    # December: J churns 2900. 79083 / 8 = 9885.375; logo 1/9; revenue 2900 / 81983 = 0.03537
    (date(2025, 12, 1), 79083, 0, 8, 9885, (0, 0, 0, 2900, 0), 9, 1, "0.1111", 81983, "0.0354",
     0, 0),
    # January: I churns 7900. 71183 / 7 = 10169; logo 1/8; revenue 7900 / 79083 = 0.09990
    (date(2026, 1, 1), 71183, 0, 7, 10169, (0, 0, 0, 7900, 0), 8, 1, "0.1250", 79083, "0.0999",
     0, 0),
    # February: G upgrades, +5000. 76183 / 7 = 10883.29
    (date(2026, 2, 1), 76183, 0, 7, 10883, (0, 5000, 0, 0, 0), 7, 0, "0", 71183, "0", 0, 0),
    # March: no change.
    (date(2026, 3, 1), 76183, 0, 7, 10883, (0, 0, 0, 0, 0), 7, 0, "0", 76183, "0", 0, 0),
    # April: H downgrades -12000, J comes back +2900. 67083 / 8 = 8385.375;
    # revenue 12000 / 76183 = 0.15752 (J was not a tenant at the start: no logo lost)
    (date(2026, 4, 1), 67083, 0, 8, 8385, (0, 0, 12000, 0, 2900), 7, 0, "0", 76183, "0.1575",
     0, 0),
    # May: C's stay50 -9950. 57133 / 8 = 7141.625; revenue 9950 / 67083 = 0.14832;
    # O's trial ended unconverted (D and E still trialing at the end of May)
    (date(2026, 5, 1), 57133, 0, 8, 7142, (0, 0, 9950, 0, 0), 8, 0, "0", 67083, "0.1483", 1, 0),
    # June until now: L and D new, 5800; F past due (2417 apart, not lost). 60516 / 9 = 6724;
    # D's and E's trials ended, D's converted.
    (date(2026, 6, 1), 60516, 2417, 9, 6724, (5800, 0, 0, 0, 0), 8, 0, "0", 57133, "0", 2, 1),
]


def test_the_last_twelve_months(book, db_session):
    history = revenue.monthly_history(db_session, NOW)
    found = [(m.month, m.mrr_cents, m.past_due_mrr_cents, m.paying_tenants, m.arpa_cents,
              (m.movements.new_cents, m.movements.expansion_cents, m.movements.contraction_cents,
               m.movements.churn_cents, m.movements.reactivation_cents),
              m.tenants_at_start, m.tenants_lost, m.logo_churn, m.committed_mrr_at_start_cents,
              m.revenue_churn, m.trials_ended, m.trials_converted) for m in history]
    expected = [(*row[:7], row[7], Decimal(row[8]).quantize(Decimal("0.0001")), row[9],
                 Decimal(row[10]).quantize(Decimal("0.0001")), *row[11:]) for row in MONTHS]
    assert found == expected
    # The movements add up to the change of the committed MRR, month after month.
    for month in history:
        end = month.mrr_cents + month.past_due_mrr_cents
        assert end - month.committed_mrr_at_start_cents == month.movements.net_cents
    assert history[-1].trial_conversion == Decimal("0.5000")
    assert history[0].trial_conversion is None


def test_the_ltv_estimate(book, db_session, catalog):
    # The 12 full months before June 2026: June 2025 to May 2026, each with MRR at its start.
    # Revenue churn: 2900/81983 (Dec) + 7900/79083 (Jan) + 12000/76183 (Apr) + 9950/67083 (May)
    # = 0.035373 + 0.099895 + 0.157515 + 0.148324 = 0.441107; / 12 = 0.036759 a month.
    # Lifetime 1 / 0.036759 = 27.20 months; LTV = 6724 x 27.204 = 182921.43.
    ltv = revenue.ltv_estimate(db_session, catalog, NOW)
    assert ltv == revenue.LtvEstimate(arpa_cents=6724, average_revenue_churn=Decimal("0.0368"),
                                      lifetime_months=Decimal("27.2"), capped=False,
                                      ltv_cents=182921)
    # Over 3 months (March to May): (0 + 0.157515 + 0.148324) / 3 = 0.101946;
    # lifetime 9.809 months; LTV = 6724 x 9.8091 = 65956.23.
    assert revenue.ltv_estimate(db_session, catalog, NOW, months=3) == revenue.LtvEstimate(
        arpa_cents=6724, average_revenue_churn=Decimal("0.1019"),
        lifetime_months=Decimal("9.8"), capped=False, ltv_cents=65956)
    # On 15 November 2025 nothing had churned yet: the lifetime is the cap, 60 months.
    # ARPA then: M I F A H B J C G, 81983 / 9 = 9109.22 -> 9109; LTV 9109 x 60 = 546540.
    early = revenue.ltv_estimate(db_session, catalog, at(2025, 11, 15))
    assert early == revenue.LtvEstimate(arpa_cents=9109, average_revenue_churn=Decimal("0.0000"),
                                        lifetime_months=Decimal("60.0"), capped=True,
                                        ltv_cents=546540)


def test_signups_per_day(db_session):
    def signup(when, status):
        unique = uuid.uuid4().hex[:8]
        db_session.add(Signup(company="S", subdomain=f"s-{unique}", email=f"s-{unique}@example.com",
                              password_hash="x", plan_id="starter", interval="month",
                              template="corporate", status=status, created_at=when))

    signup(at(2026, 5, 21, 23, 30), SignupStatus.READY)  # the 31st day back: not counted
    signup(at(2026, 5, 22, 0, 30), SignupStatus.READY)  # 21 May 22:30 UTC: Amsterdam's 22 May
    signup(at(2026, 6, 1, 10), SignupStatus.EXPIRED)
    signup(at(2026, 6, 18, 9), SignupStatus.READY)
    signup(at(2026, 6, 18, 10), SignupStatus.EXPIRED)
    signup(at(2026, 6, 18, 11), SignupStatus.PENDING)
    signup(at(2026, 6, 20, 8), SignupStatus.PAID)
    signup(at(2026, 6, 20, 9), SignupStatus.PENDING)
    db_session.commit()

    days = revenue.signups_per_day(db_session, NOW)
    assert len(days) == 30 and days[0].day == date(2026, 5, 22) and days[-1].day == date(2026, 6, 20)
    busy = {day.day: (day.started, day.paid, day.abandoned) for day in days if day.started}
    assert busy == {date(2026, 5, 22): (1, 1, 0), date(2026, 6, 1): (1, 0, 1),
                    date(2026, 6, 18): (3, 1, 1), date(2026, 6, 20): (2, 1, 0)}
    assert sum(day.started for day in days) == 7  # 3 paid, 2 abandoned, 2 pending


def test_the_dashboard_gathers_the_same_figures(book, db_session, catalog):
    board = revenue.dashboard(db_session, catalog, NOW)
    assert board.now == revenue.current_mrr(db_session, catalog, NOW)
    assert board.months == revenue.monthly_history(db_session, NOW)
    assert board.net_new_this_month == revenue.net_new_mrr(db_session, NOW)
    assert board.ltv == revenue.ltv_estimate(db_session, catalog, NOW)
    assert board.trials.converted == 1 and len(board.signups) == 30
    assert [plan.plan_id for plan in board.plans] == ["starter", "professional", "enterprise"]


def test_a_repeated_event_writes_no_row(db_session, catalog):
    book = Book(db_session, catalog)
    book.start(at(2026, 3, 1), "R", "starter_monthly")
    book.change(at(2026, 3, 1, 12, 5), "R")  # the same subscription delivered again
    book.change(at(2026, 3, 2), "R", cancel_at_period_end=True)  # no MRR nor state change
    book.change(at(2026, 3, 3), "R", coupon="welcome10")  # a once coupon: the MRR stays
    assert [(row.state, row.mrr_cents, row.kind) for row in book.rows("R")] == [
        ("active", 2900, "new")]

    book.change(at(2026, 3, 9), "R", status="past_due")
    book.change(at(2026, 3, 10), "R", status="past_due")
    book.change(at(2026, 3, 12), "R", status="active")  # paid after all: no movement either
    book.change(at(2026, 3, 12, 13), "R", status="active")
    assert [(row.state, row.mrr_cents, row.kind) for row in book.rows("R")] == [
        ("active", 2900, "new"), ("past_due", 2900, "none"), ("active", 2900, "none")]
    assert db_session.scalar(select(func.count()).select_from(MrrChange).where(
        MrrChange.customer_id == book.customer("R"), MrrChange.kind == MrrMovement.NEW)) == 1


def test_the_revenue_page_shows_the_modules_figures(book, app, client, db_session, redis):
    """Finance opens the dashboard on 20 June 2026: the hand-checked figures, as people read
    them."""
    from staff_support import signed_in_staff

    with freeze_time(at(2026, 6, 20)):
        signed_in_staff(client, db_session, "finance")
        page = client.get("/admin/revenue").get_data(as_text=True)
    assert 'id="mrr">€605.16<' in page  # 60516 cents
    assert 'id="arr">€7,261.92<' in page
    assert 'id="arpa">€67.24<' in page
    assert 'id="net-new">€58<' in page  # June so far: 5800, all new
    assert page.count('<svg class="chart"') == 4
    assert "Dec 2025" in page and "11.1%" in page  # December's logo churn, 1 of 9
