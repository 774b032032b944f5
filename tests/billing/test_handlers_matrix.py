"""``billing.handlers.handle`` with plain dict events and a stub Stripe: every handled event
type delivered once, twice and in every order ends in the same rows, with no doubled effect
(one provisioning run, one mail per occurrence). No HTTP: each case runs in milliseconds."""

from __future__ import annotations

import copy
import itertools
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from billing.handlers import Deps, handle
from billing.subscriptions import mirror_subscription
from db.models import Invoice, MailLog, ProvisioningRun, Subdomain, Subscription
from db.models.signups import SignupStatus
from db.models.tenants import BillingState
from worker.services import services

import factories


class StubStripe:
    """What ``handle`` asks Stripe: ``v1.subscriptions.retrieve(id)``, answered from
    ``subscriptions`` (Stripe's current state, which the test sets)."""

    def __init__(self):
        self.subscriptions: dict[str, dict] = {}
        self.retrieved: list[str] = []
        self.v1 = SimpleNamespace(subscriptions=SimpleNamespace(retrieve=self._retrieve))

    def _retrieve(self, subscription_id, *args, **kwargs):
        self.retrieved.append(subscription_id)
        return copy.deepcopy(self.subscriptions[subscription_id])


@pytest.fixture
def stripe():
    return StubStripe()


@pytest.fixture
def deps(app, stripe):
    found = services(app)
    return Deps(client=stripe, catalog=found.catalog, urls=found.urls)


def lookup_key(app, plan: str, interval: str = "month") -> str:
    return next(price.lookup_key for found, price in services(app).catalog.all_prices()
                if found.id == plan and price.interval == interval)


def subscription(app, sub_id, customer, status="active", plan="starter", signup_id=None,
                 reason=None) -> dict:
    return {"id": sub_id, "object": "subscription", "customer": customer, "status": status,
            "metadata": {"signup_id": signup_id} if signup_id else {},
            "items": {"data": [{"price": {"lookup_key": lookup_key(app, plan)},
                                "current_period_end": 1_900_000_000}]},
            "cancel_at_period_end": False, "canceled_at": None,
            "cancellation_details": {"reason": reason}}


def invoice(inv_id, customer, sub_id, status="paid", attempt_count=1, signup_id=None) -> dict:
    return {"id": inv_id, "object": "invoice", "customer": customer, "status": status,
            "billing_reason": "subscription_cycle", "currency": "eur", "amount_due": 2900,
            "amount_paid": 2900 if status == "paid" else 0, "attempt_count": attempt_count,
            "hosted_invoice_url": f"https://stripe.test/i/{inv_id}", "created": 1_800_000_000,
            "status_transitions": {"paid_at": 1_800_000_100 if status == "paid" else None},
            "parent": {"subscription_details": {
                "subscription": sub_id, "metadata": {"signup_id": signup_id} if signup_id else {}}}}


def event(kind: str, obj: dict) -> dict:
    return {"id": f"evt_{uuid.uuid4().hex[:16]}", "type": kind, "data": {"object": obj}}


def deliver(session, deps, events) -> list:
    outcomes = []
    for one in events:
        outcomes.append(handle(session, deps, copy.deepcopy(one)))
        session.flush()
    session.commit()
    return outcomes


def deliveries(events):
    """Every order of ``events``, each once, and each order with every event sent twice
    (the duplicate straight after, as a retried delivery arrives)."""
    for order in itertools.permutations(events):
        yield "once", list(order)
        yield "twice", [one for one in order for _ in range(2)]


def mails(session, tenant_id, kind) -> int:
    return session.scalar(select(func.count()).select_from(MailLog).where(
        MailLog.tenant_id == tenant_id, MailLog.kind == kind))


def paid_tenant(app, session, stripe):
    """A live tenant with its subscription at (stub) Stripe, active, and mirrored."""
    tenant = factories.tenant(app, session)
    tenant.stripe_subscription_id = f"sub_{uuid.uuid4().hex[:12]}"
    session.commit()
    stripe.subscriptions[tenant.stripe_subscription_id] = subscription(
        app, tenant.stripe_subscription_id, tenant.stripe_customer_id)
    # Its mirror, as the signup's subscription events left it.
    mirror_subscription(session, services(app).catalog, stripe.subscriptions[tenant.stripe_subscription_id])
    session.commit()
    return tenant


# A signup's payment: completed checkout, the new subscription, the first invoice paid.

SIGNUP_EVENTS = ["checkout.session.completed", "customer.subscription.created", "invoice.paid"]


@pytest.mark.parametrize(("copies", "order"), [
    (copies, order) for order in itertools.permutations(SIGNUP_EVENTS) for copies in (1, 2)])
def test_a_signups_payment_provisions_once_in_any_order(app, db_session, deps, stripe, copies, order):
    signup = factories.signup(db_session)
    db_session.commit()
    sub_id, customer = f"sub_{uuid.uuid4().hex[:12]}", signup.stripe_customer_id
    stripe.subscriptions[sub_id] = subscription(app, sub_id, customer, signup_id=signup.id)
    objects = {
        "checkout.session.completed": {"id": "cs_1", "object": "checkout.session", "customer": customer,
                                       "subscription": sub_id, "metadata": {"signup_id": signup.id},
                                       "client_reference_id": signup.id},
        "customer.subscription.created": {**stripe.subscriptions[sub_id], "status": "incomplete"},
        "invoice.paid": invoice(f"in_{uuid.uuid4().hex[:12]}", customer, sub_id, signup_id=signup.id),
    }
    events = [event(kind, objects[kind]) for kind in order for _ in range(copies)]

    outcomes = deliver(db_session, deps, events)

    db_session.refresh(signup)
    assert signup.status == SignupStatus.PAID and signup.paid_at is not None
    assert signup.stripe_subscription_id == sub_id
    assert [one for outcome in outcomes for one in outcome.provision] == [signup.id]
    assert db_session.scalar(select(func.count()).select_from(ProvisioningRun).where(
        ProvisioningRun.signup_id == signup.id)) == 1
    mirror = db_session.get(Subscription, sub_id)
    assert mirror.status == "active" and mirror.plan_id == "starter"  # Stripe's state, not the payload's
    assert db_session.get(Invoice, objects["invoice.paid"]["id"]).status == "paid"


def test_a_checkout_that_expires_releases_the_reservation_once(app, db_session, deps):
    signup = factories.signup(db_session)
    signup.checkout_session_id = "cs_current"
    db_session.commit()
    expired = event("checkout.session.expired", {"id": "cs_current", "object": "checkout.session",
                                                 "customer": signup.stripe_customer_id,
                                                 "metadata": {"signup_id": signup.id}})

    outcomes = deliver(db_session, deps, [expired, expired])

    db_session.refresh(signup)
    assert signup.status == SignupStatus.EXPIRED
    assert db_session.get(Subdomain, signup.subdomain) is None
    assert all(not outcome.provision and not outcome.mail_keys for outcome in outcomes)


def test_an_older_checkout_expiring_or_one_after_payment_changes_nothing(app, db_session, deps):
    signup = factories.signup(db_session)
    signup.checkout_session_id = "cs_current"
    db_session.commit()

    def expiry(session_id):
        return event("checkout.session.expired", {"id": session_id, "object": "checkout.session",
                                                  "customer": signup.stripe_customer_id,
                                                  "metadata": {"signup_id": signup.id}})

    deliver(db_session, deps, [expiry("cs_older")])
    db_session.refresh(signup)
    assert signup.status == SignupStatus.PENDING
    assert db_session.get(Subdomain, signup.subdomain).signup_id == signup.id

    signup.status = SignupStatus.PAID
    db_session.commit()
    deliver(db_session, deps, [expiry("cs_current")])
    db_session.refresh(signup)
    assert signup.status == SignupStatus.PAID
    assert db_session.get(Subdomain, signup.subdomain).signup_id == signup.id


# A live tenant's failed renewal: the invoice's failure and the subscription turning past_due.

@pytest.mark.parametrize(("how", "order"), list(deliveries(["invoice.payment_failed",
                                                              "customer.subscription.updated"])))
def test_a_failed_renewal_makes_the_tenant_past_due_with_one_dunning_mail(app, db_session, deps,
                                                                           stripe, how, order):
    tenant = paid_tenant(app, db_session, stripe)
    sub_id, customer = tenant.stripe_subscription_id, tenant.stripe_customer_id
    stripe.subscriptions[sub_id]["status"] = "past_due"
    failed = invoice(f"in_{uuid.uuid4().hex[:12]}", customer, sub_id, status="open")
    objects = {"invoice.payment_failed": failed,
               "customer.subscription.updated": stripe.subscriptions[sub_id]}

    outcomes = deliver(db_session, deps, [event(kind, objects[kind]) for kind in order])

    db_session.refresh(tenant)
    assert tenant.billing_state == BillingState.PAST_DUE and tenant.grace_until is not None
    assert mails(db_session, tenant.id, "dunning") == 1
    assert sum(len(outcome.mail_keys) for outcome in outcomes) == 1
    assert db_session.get(Subscription, sub_id).failed_payment_count == 1


@pytest.mark.parametrize("copies", [1, 2])
def test_an_unpaid_subscription_suspends_once_and_a_payment_reactivates_once(app, db_session, deps,
                                                                             stripe, copies):
    tenant = paid_tenant(app, db_session, stripe)
    sub_id, customer = tenant.stripe_subscription_id, tenant.stripe_customer_id
    stripe.subscriptions[sub_id]["status"] = "unpaid"
    updated = event("customer.subscription.updated", stripe.subscriptions[sub_id])
    deliver(db_session, deps, [updated] * copies)
    db_session.refresh(tenant)
    assert tenant.billing_state == BillingState.SUSPENDED
    assert mails(db_session, tenant.id, "suspended") == 1

    # An old invoice.paid arriving while Stripe still says unpaid lifts nothing.
    stale = event("invoice.paid", invoice(f"in_{uuid.uuid4().hex[:12]}", customer, sub_id))
    deliver(db_session, deps, [stale] * copies)
    db_session.refresh(tenant)
    assert tenant.billing_state == BillingState.SUSPENDED

    stripe.subscriptions[sub_id]["status"] = "active"
    paid = event("invoice.paid", invoice(f"in_{uuid.uuid4().hex[:12]}", customer, sub_id))
    # The stale subscription.updated (unpaid) arriving late changes nothing: Stripe is asked.
    deliver(db_session, deps, [paid] * copies + [updated] * copies)
    db_session.refresh(tenant)
    assert tenant.billing_state == BillingState.ACTIVE and tenant.suspended_at is None
    assert mails(db_session, tenant.id, "reactivated") == 1
    assert mails(db_session, tenant.id, "suspended") == 1


@pytest.mark.parametrize(("how", "order"), list(deliveries(["customer.subscription.deleted",
                                                              "invoice.payment_failed"])))
def test_a_cancelled_subscription_closes_the_tenant_whatever_comes_with_it(app, db_session, deps,
                                                                           stripe, how, order):
    tenant = paid_tenant(app, db_session, stripe)
    sub_id, customer = tenant.stripe_subscription_id, tenant.stripe_customer_id
    stripe.subscriptions[sub_id].update(status="canceled", canceled_at=1_800_000_000,
                                        cancellation_details={"reason": "cancellation_requested"})
    objects = {"customer.subscription.deleted": stripe.subscriptions[sub_id],
               "invoice.payment_failed": invoice(f"in_{uuid.uuid4().hex[:12]}", customer, sub_id,
                                                 status="open")}

    deliver(db_session, deps, [event(kind, objects[kind]) for kind in order])

    db_session.refresh(tenant)
    if order[0] == "customer.subscription.deleted":
        assert tenant.billing_state == BillingState.CLOSED
        assert mails(db_session, tenant.id, "dunning") == 0
    else:  # the failure came first (past due, one reminder), then the cancellation closed it
        assert tenant.billing_state == BillingState.CLOSED
        assert mails(db_session, tenant.id, "dunning") == 1
    assert tenant.closed_at is not None


def test_a_cancellation_for_non_payment_suspends_rather_than_closes(app, db_session, deps, stripe):
    tenant = paid_tenant(app, db_session, stripe)
    sub_id = tenant.stripe_subscription_id
    stripe.subscriptions[sub_id].update(status="canceled",
                                        cancellation_details={"reason": "payment_failed"})
    deleted = event("customer.subscription.deleted", stripe.subscriptions[sub_id])

    deliver(db_session, deps, [deleted, deleted])

    db_session.refresh(tenant)
    assert tenant.billing_state == BillingState.SUSPENDED
    assert mails(db_session, tenant.id, "suspended") == 1


@pytest.mark.parametrize("copies", [1, 2])
def test_a_plan_change_follows_stripe_not_the_payload(app, db_session, deps, stripe, copies):
    tenant = paid_tenant(app, db_session, stripe)
    sub_id = tenant.stripe_subscription_id
    stale_payload = copy.deepcopy(stripe.subscriptions[sub_id])  # still Starter
    stripe.subscriptions[sub_id] = subscription(app, sub_id, tenant.stripe_customer_id,
                                                plan="professional")

    deliver(db_session, deps, [event("customer.subscription.updated", stale_payload)] * copies)

    db_session.refresh(tenant)
    assert tenant.plan_id == "professional" and tenant.billing_state == BillingState.ACTIVE
    assert stripe.retrieved == [sub_id] * copies


@pytest.mark.parametrize("order", list(itertools.permutations(
    ["invoice.created", "invoice.finalized", "invoice.payment_succeeded", "invoice.paid"])))
def test_invoice_records_end_paid_in_any_order(app, db_session, deps, stripe, order):
    tenant = paid_tenant(app, db_session, stripe)
    inv_id = f"in_{uuid.uuid4().hex[:12]}"
    states = {"invoice.created": "draft", "invoice.finalized": "open",
              "invoice.payment_succeeded": "paid", "invoice.paid": "paid"}
    events = [event(kind, invoice(inv_id, tenant.stripe_customer_id, tenant.stripe_subscription_id,
                                  status=states[kind])) for kind in order]

    outcomes = deliver(db_session, deps, events + events)

    row = db_session.get(Invoice, inv_id)
    assert row.status == "paid" and row.amount_paid == 2900 and row.paid_at is not None
    db_session.refresh(tenant)
    assert tenant.billing_state == BillingState.ACTIVE
    assert all(not outcome.provision and not outcome.mail_keys for outcome in outcomes)


def test_events_of_other_types_or_unknown_customers_change_nothing(app, db_session, deps, stripe):
    tenant = paid_tenant(app, db_session, stripe)
    stripe.subscriptions["sub_unknown"] = subscription(app, "sub_unknown", "cus_unknown")
    events = [event("customer.updated", {"id": tenant.stripe_customer_id, "object": "customer"}),
              event("invoice.paid", invoice("in_unknown", "cus_unknown", "sub_unknown")),
              event("invoice.payment_failed", invoice("in_unknown2", "cus_unknown", "sub_unknown",
                                                      status="open")),
              event("checkout.session.completed", {"id": "cs_x", "customer": "cus_unknown",
                                                   "metadata": {}})]

    outcomes = deliver(db_session, deps, events)

    db_session.refresh(tenant)
    assert tenant.billing_state == BillingState.ACTIVE
    assert all(not outcome.provision and not outcome.mail_keys for outcome in outcomes)
    assert db_session.scalar(select(func.count()).select_from(ProvisioningRun).where(
        ProvisioningRun.tenant_id == tenant.id)) == 0
