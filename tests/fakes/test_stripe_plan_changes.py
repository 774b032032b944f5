"""The local Stripe's plan changes: proration, invoice previews, schedules, cancellation feedback."""

from typing import Any

import pytest
import stripe
from stripe_support import DAY, DUTCH_ADDRESS, GOOD_CARD, control

from fakes.stripe_api import FakeStripeServer

pytestmark = pytest.mark.usefixtures("fresh")



def make_price(client: stripe.StripeClient, name: str, amount: int, interval: str = "month") -> stripe.Price:
    return client.v1.prices.create(
        params={
            "product_data": {"name": name},
            "unit_amount": amount,
            "currency": "eur",
            "recurring": {"interval": interval},
            "tax_behavior": "exclusive",
        }  # fmt: skip
    )


def subscribe(client: stripe.StripeClient, server: FakeStripeServer, price: stripe.Price,
              taxed: bool = False) -> stripe.Subscription:  # fmt: skip
    extra: dict[str, Any] = {"automatic_tax": {"enabled": True}} if taxed else {}
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer_email": "ada@example.com",
            "line_items": [{"price": price.id, "quantity": 1}],
            "success_url": "http://shop.test/welcome",
            **extra,
        }  # fmt: skip
    )
    control(server, f"/_test/checkout/sessions/{session.id}/pay", card=GOOD_CARD, **DUTCH_ADDRESS)
    session = client.v1.checkout.sessions.retrieve(session.id)
    return client.v1.subscriptions.retrieve(session.subscription)


def halfway(subscription: stripe.Subscription) -> int:
    item = subscription["items"].data[0]
    return (item.current_period_start + item.current_period_end) // 2


def expected(unit_amount: int, subscription: stripe.Subscription, when: int) -> int:
    item = subscription["items"].data[0]
    remaining = item.current_period_end - when
    return round(unit_amount * remaining / (item.current_period_end - item.current_period_start))


def change(client, subscription, price, **params: Any) -> stripe.Subscription:
    item = subscription["items"].data[0]
    return client.v1.subscriptions.update(
        subscription.id, params={"items": [{"id": item.id, "price": price.id}], **params}
    )


def test_upgrade_with_always_invoice_matches_its_preview(client, server, receiver):
    pro, team = make_price(client, "Pro", 1900), make_price(client, "Team", 4900)
    subscription = subscribe(client, server, pro, taxed=True)
    control(server, "/_test/clock/advance", days=10)
    when = control(server, "/_test/clock/advance")["now"]
    item = subscription["items"].data[0]
    details = {"items": [{"id": item.id, "price": team.id}], "proration_behavior": "always_invoice",
               "proration_date": when}  # fmt: skip

    preview = client.v1.invoices.create_preview(params={"subscription": subscription.id,
                                                        "subscription_details": details})  # fmt: skip
    assert server.wait_idle()
    receiver.clear()
    updated = change(client, subscription, team, proration_behavior="always_invoice", proration_date=when)

    credit, charge = -expected(1900, subscription, when), expected(4900, subscription, when)
    assert preview.id.startswith("upcoming_")
    assert [line.amount for line in preview.lines.data] == [credit, charge]
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert (invoice.billing_reason, invoice.status) == ("subscription_update", "paid")
    assert preview.amount_due == invoice.amount_due == invoice.amount_paid > 0
    assert preview.total_taxes[0].amount == invoice.total_taxes[0].amount
    assert invoice.subtotal == credit + charge
    assert invoice.total == invoice.subtotal + round((credit + charge) * 0.21)
    unused, remaining = invoice.lines.data
    assert unused.description.startswith("Unused time on Pro after ")
    assert remaining.description.startswith("Remaining time on Team after ")
    assert unused.parent.subscription_item_details.proration is True
    assert updated["items"].data[0].price.id == team.id
    assert updated["items"].data[0].current_period_end == item.current_period_end
    assert server.wait_idle()
    assert receiver.types() == ["invoiceitem.created", "invoiceitem.created", "customer.subscription.updated",
                                "invoice.created", "invoice.finalized", "invoice.paid",
                                "invoice.payment_succeeded"]  # fmt: skip


def test_create_prorations_waits_for_the_renewal(client, server):
    pro, team = make_price(client, "Pro", 1900), make_price(client, "Team", 4900)
    subscription = subscribe(client, server, pro)
    when = halfway(subscription)
    control(server, "/_test/clock/advance", seconds=when - control(server, "/_test/clock/advance")["now"])

    updated = change(client, subscription, team, proration_date=when)
    assert updated.latest_invoice == subscription.latest_invoice
    preview = client.v1.invoices.create_preview(params={"subscription": subscription.id})
    control(server, "/_test/clock/advance", days=20)

    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    proration = -expected(1900, subscription, when) + expected(4900, subscription, when)
    assert renewal.billing_reason == "subscription_cycle"
    assert [line.amount for line in renewal.lines.data][0] == 4900
    assert renewal.amount_paid == 4900 + proration == preview.amount_due
    assert [line.parent.subscription_item_details.proration for line in renewal.lines.data] == [
        False, True, True,
    ]  # fmt: skip


def test_proration_none_and_same_price(client, server):
    pro, team = make_price(client, "Pro", 1900), make_price(client, "Team", 4900)
    subscription = subscribe(client, server, pro)
    change(client, subscription, pro)
    change(client, subscription, team, proration_behavior="none")
    control(server, "/_test/clock/advance", days=32)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert [line.amount for line in renewal.lines.data] == [4900]


def test_interval_change_restarts_the_cycle(client, server):
    pro, yearly = make_price(client, "Pro", 1900), make_price(client, "Pro yearly", 19000, "year")
    subscription = subscribe(client, server, pro)
    now = control(server, "/_test/clock/advance", days=15)["now"]

    updated = change(client, subscription, yearly, proration_date=now)

    item = updated["items"].data[0]
    # The local Stripe's clock runs on (the advance only moves it): a second may tick between.
    assert now <= item.current_period_start <= now + 2
    assert item.current_period_end - item.current_period_start >= 365 * DAY
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert [line.amount for line in invoice.lines.data] == [19000, -expected(1900, subscription, now)]
    assert invoice.amount_paid == 19000 - expected(1900, subscription, now)
    assert updated.billing_cycle_anchor == now


def test_error_if_incomplete_changes_nothing(client, server, receiver):
    pro, team = make_price(client, "Pro", 1900), make_price(client, "Team", 4900)
    subscription = subscribe(client, server, pro)
    control(server, f"/_test/customers/{subscription.customer}/fail_next_payment")
    assert server.wait_idle()
    receiver.clear()

    with pytest.raises(stripe.CardError) as declined:
        change(client, subscription, team, proration_behavior="always_invoice",
               payment_behavior="error_if_incomplete")  # fmt: skip

    assert declined.value.http_status == 402
    after = client.v1.subscriptions.retrieve(subscription.id)
    assert after["items"].data[0].price.id == pro.id and after.latest_invoice == subscription.latest_invoice
    assert len(client.v1.invoices.list(params={"customer": subscription.customer}).data) == 1
    assert server.wait_idle() and receiver.types() == []


def test_allow_incomplete_and_pending_if_incomplete(client, server):
    pro, team = make_price(client, "Pro", 1900), make_price(client, "Team", 4900)
    first, second = subscribe(client, server, pro), subscribe(client, server, pro)
    for sub in (first, second):
        control(server, f"/_test/customers/{sub.customer}/fail_next_payment", count=1)

    allowed = change(client, first, team, proration_behavior="always_invoice")
    pending = change(client, second, team, proration_behavior="always_invoice",
                     payment_behavior="pending_if_incomplete")  # fmt: skip

    assert (allowed.status, allowed["items"].data[0].price.id) == ("past_due", team.id)
    assert (pending.status, pending["items"].data[0].price.id) == ("active", pro.id)
    assert pending.pending_update.subscription_items[0].price.id == team.id
    assert client.v1.invoices.retrieve(pending.latest_invoice).status == "open"
    control(server, f"/_test/customers/{second.customer}/pay_open_invoices", card=GOOD_CARD)
    paid = client.v1.subscriptions.retrieve(second.id)
    assert (paid["items"].data[0].price.id, paid.pending_update) == (team.id, None)


def test_preview_of_a_downgrade_with_create_prorations(client, server):
    pro, basic = make_price(client, "Pro", 1900), make_price(client, "Basic", 900)
    subscription = subscribe(client, server, pro)
    when = control(server, "/_test/clock/advance", days=5)["now"]
    item = subscription["items"].data[0]

    preview = client.v1.invoices.create_preview(params={
        "customer": subscription.customer, "subscription": subscription.id,
        "subscription_details": {"items": [{"id": item.id, "price": basic.id}], "proration_date": when},
    })  # fmt: skip

    assert preview.billing_reason == "subscription_cycle"
    assert [line.amount for line in preview.lines.data] == [
        900, -expected(1900, subscription, when), expected(900, subscription, when),
    ]  # fmt: skip
    assert preview.period_end == item.current_period_end
    assert client.v1.subscriptions.retrieve(subscription.id)["items"].data[0].price.id == pro.id
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.create_preview(params={
            "subscription": subscription.id, "subscription_details": {"cancel_at_period_end": True},
        })  # fmt: skip


def test_schedule_downgrades_at_period_end_then_releases(client, server, receiver):
    pro, basic = make_price(client, "Pro", 1900), make_price(client, "Basic", 900)
    subscription = subscribe(client, server, pro)
    item = subscription["items"].data[0]

    schedule = client.v1.subscription_schedules.create(params={"from_subscription": subscription.id})
    assert client.v1.subscriptions.retrieve(subscription.id).schedule == schedule.id
    assert schedule.current_phase.end_date == item.current_period_end
    schedule = client.v1.subscription_schedules.update(schedule.id, params={
        "end_behavior": "release",
        "phases": [
            {"items": [{"price": pro.id}], "start_date": item.current_period_start,
             "end_date": item.current_period_end},
            {"items": [{"price": basic.id}], "proration_behavior": "none"},
        ],
    })  # fmt: skip
    assert [phase["items"][0].price for phase in schedule.phases] == [pro.id, basic.id]
    assert server.wait_idle()
    receiver.clear()

    control(server, "/_test/clock/advance", days=32)

    renewed = client.v1.subscriptions.retrieve(subscription.id)
    assert renewed["items"].data[0].price.id == basic.id and renewed.schedule == schedule.id
    assert client.v1.invoices.retrieve(renewed.latest_invoice).amount_paid == 900
    assert (
        client.v1.subscription_schedules.retrieve(schedule.id).current_phase.start_date
        == item.current_period_end
    )
    assert server.wait_idle()
    order = ["subscription_schedule.updated", "invoice.paid", "customer.subscription.updated"]
    assert receiver.types(*order) == order

    control(server, "/_test/clock/advance", days=31)

    released = client.v1.subscription_schedules.retrieve(schedule.id)
    assert (released.status, released.released_subscription) == ("released", subscription.id)
    after = client.v1.subscriptions.retrieve(subscription.id)
    assert (after.schedule, after.status, after["items"].data[0].price.id) == (None, "active", basic.id)
    assert server.wait_idle() and receiver.types("subscription_schedule.released") == [
        "subscription_schedule.released"
    ]


def test_schedule_release_and_cancel_by_api(client, server):
    pro = make_price(client, "Pro", 1900)
    first, second = subscribe(client, server, pro), subscribe(client, server, pro)
    released = client.v1.subscription_schedules.release(
        client.v1.subscription_schedules.create(params={"from_subscription": first.id}).id
    )
    canceled = client.v1.subscription_schedules.cancel(
        client.v1.subscription_schedules.create(params={"from_subscription": second.id}).id
    )
    assert released.status == "released" and client.v1.subscriptions.retrieve(first.id).schedule is None
    assert canceled.status == "canceled"
    assert client.v1.subscriptions.retrieve(second.id).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscription_schedules.update(released.id, params={"end_behavior": "cancel"})


def test_cancellation_feedback_is_stored_and_cleared_on_undo(client, server):
    pro = make_price(client, "Pro", 1900)
    subscription = subscribe(client, server, pro)

    canceling = client.v1.subscriptions.update(subscription.id, params={
        "cancel_at_period_end": True,
        "cancellation_details": {"feedback": "too_expensive", "comment": "Cheaper elsewhere"},
    })  # fmt: skip
    assert canceling.cancellation_details.to_dict() == {
        "comment": "Cheaper elsewhere", "feedback": "too_expensive", "reason": "cancellation_requested",
    }  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.update(subscription.id, params={"cancellation_details": {"feedback": "meh"}})

    undone = client.v1.subscriptions.update(subscription.id, params={"cancel_at_period_end": False})
    assert undone.cancellation_details.to_dict() == {"comment": None, "feedback": None, "reason": None}

    client.v1.subscriptions.update(subscription.id, params={
        "cancel_at_period_end": True, "cancellation_details": {"feedback": "unused"},
    })  # fmt: skip
    control(server, "/_test/clock/advance", days=32)
    ended = client.v1.subscriptions.retrieve(subscription.id)
    assert (ended.status, ended.cancellation_details.feedback) == ("canceled", "unused")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.update(subscription.id, params={"cancel_at_period_end": False})
    commented = client.v1.subscriptions.update(
        subscription.id, params={"cancellation_details": {"comment": "x"}}
    )
    assert commented.cancellation_details.comment == "x"


def test_downgrade_credit_goes_to_the_balance_and_the_next_invoice(client, server):
    pro, basic = make_price(client, "Pro", 1900), make_price(client, "Basic", 900)
    subscription = subscribe(client, server, pro)
    when = control(server, "/_test/clock/advance", days=10)["now"]

    updated = change(client, subscription, basic, proration_behavior="always_invoice", proration_date=when)

    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    credit = -expected(1900, subscription, when) + expected(900, subscription, when)
    assert (invoice.total, invoice.amount_due, invoice.status, invoice.ending_balance) == (
        credit,
        0,
        "paid",
        credit,
    )
    assert client.v1.customers.retrieve(subscription.customer).balance == credit
    control(server, "/_test/clock/advance", days=25)
    renewal = client.v1.invoices.retrieve(client.v1.subscriptions.retrieve(subscription.id).latest_invoice)
    assert (renewal.starting_balance, renewal.amount_paid) == (credit, 900 + credit)
    assert client.v1.customers.retrieve(subscription.customer).balance == 0
