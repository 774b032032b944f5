"""The local Stripe's Stripe Tax (a seller registered in NL only) and customer tax IDs."""

from typing import Any

import httpx
import pytest
import stripe
from stripe_support import DUTCH_ADDRESS, FIXTURES, GOOD_CARD, control

from fakes.stripe_api import FakeStripeServer

pytestmark = pytest.mark.usefixtures("fresh")

REVERSE_CHARGE_NOTE = (
    "Reverse charge: VAT to be accounted for by the recipient "
    "(Article 196, Council Directive 2006/112/EC)."
)


def make_price(client: stripe.StripeClient, behavior: str = "exclusive", amount: int = 2900) -> stripe.Price:
    return client.v1.prices.create(
        params={
            "product_data": {"name": "Pro"},
            "unit_amount": amount,
            "currency": "eur",
            "recurring": {"interval": "month"},
            "tax_behavior": behavior,
        }
    )


def taxed_checkout(client: stripe.StripeClient, price: stripe.Price, **extra: Any) -> stripe.checkout.Session:
    """A new customer's session with automatic tax, address and tax ID collection."""
    return client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer_email": "ada@example.com",
            "line_items": [{"price": price.id, "quantity": 1}],
            "automatic_tax": {"enabled": True},
            "billing_address_collection": "required",
            "tax_id_collection": {"enabled": True},
            "success_url": "http://shop.test/welcome",
            **extra,
        }
    )


def pay(server: FakeStripeServer, session: stripe.checkout.Session, status: int = 200, **fields: Any) -> Any:
    form = {"card": GOOD_CARD, **DUTCH_ADDRESS, **fields}
    return control(server, f"/_test/checkout/sessions/{session.id}/pay", status=status, **form)


def first_invoice(client: stripe.StripeClient, session_id: str) -> stripe.Invoice:
    session = client.v1.checkout.sessions.retrieve(session_id)
    subscription = client.v1.subscriptions.retrieve(session.subscription)
    return client.v1.invoices.retrieve(subscription.latest_invoice)


def test_dutch_consumer_pays_21_percent_on_top(client, server):
    session = taxed_checkout(client, make_price(client))
    assert session.automatic_tax.status == "requires_location_inputs"
    assert session.automatic_tax.liability.type == "self"
    page = httpx.get(session.url).text
    assert "€29.00 per month" in page and "plus VAT" in page
    assert 'id="country"' in page and '<option value="NL" selected' in page

    pay(server, session)

    invoice = first_invoice(client, session.id)
    assert (invoice.subtotal, invoice.subtotal_excluding_tax, invoice.total) == (2900, 2900, 3509)
    assert (invoice.total_excluding_tax, invoice.amount_due, invoice.amount_paid) == (2900, 3509, 3509)
    assert invoice.account_country == "NL"
    assert invoice.automatic_tax.to_dict() == {
        "disabled_reason": None, "enabled": True, "liability": {"type": "self"},
        "provider": "stripe", "status": "complete",
    }  # fmt: skip
    tax = invoice.lines.data[0].taxes[0]
    assert (tax.amount, tax.taxability_reason, tax.tax_behavior, tax.taxable_amount) == (
        609, "standard_rated", "exclusive", 2900,
    )  # fmt: skip
    assert invoice.total_taxes[0].amount == 609
    rate = client.v1.tax_rates.retrieve(tax.tax_rate_details.tax_rate)
    assert (rate.country, rate.percentage, rate.inclusive, rate.display_name) == ("NL", 21, False, "VAT")
    assert invoice.customer_address.city == "Amsterdam" and invoice.customer_name == "Ada Visser"
    session = client.v1.checkout.sessions.retrieve(session.id)
    assert (session.amount_total, session.total_details.amount_tax) == (3509, 609)
    assert session.automatic_tax.status == "complete"
    assert session.customer_details.address.country == "NL"
    customer = client.v1.customers.retrieve(session.customer)
    assert customer.address.to_dict() == {"city": "Amsterdam", "country": "NL", "line1": "Keizersgracht 1",
                                          "line2": None, "postal_code": "1015 CJ", "state": None}  # fmt: skip
    subscription = client.v1.subscriptions.retrieve(session.subscription)
    assert subscription.automatic_tax.to_dict() == {
        "disabled_reason": None, "enabled": True, "liability": {"type": "self"},
    }  # fmt: skip
    hosted = httpx.get(invoice.hosted_invoice_url).text
    assert "VAT 21%" in hosted and "€6.09" in hosted and "€35.09" in hosted and "€29.00" in hosted
    assert b"VAT 21%" in httpx.get(invoice.invoice_pdf).content


def test_inclusive_price_contains_the_vat(client, server):
    session = taxed_checkout(client, make_price(client, "inclusive"))
    assert "incl. VAT" in httpx.get(session.url).text

    pay(server, session)

    invoice = first_invoice(client, session.id)
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (2900, 2900, 2900)
    assert (invoice.subtotal_excluding_tax, invoice.total_excluding_tax) == (2397, 2397)
    tax = invoice.lines.data[0].taxes[0]
    assert (tax.amount, tax.tax_behavior, tax.taxable_amount) == (503, "inclusive", 2397)
    assert client.v1.tax_rates.retrieve(tax.tax_rate_details.tax_rate).inclusive is True


def test_belgian_business_with_vat_number_is_reverse_charged(client, server):
    session = taxed_checkout(client, make_price(client))

    pay(server, session, country="BE", city="Brussel", postal_code="1000", business="on",
        business_name="Bruxelles Data SRL", tax_id="BE 0123.456.789")  # fmt: skip

    invoice = first_invoice(client, session.id)
    tax = invoice.lines.data[0].taxes[0]
    assert (tax.amount, tax.taxability_reason) == (0, "reverse_charge")
    assert (invoice.total, invoice.footer) == (2900, REVERSE_CHARGE_NOTE)
    assert [t.to_dict() for t in invoice.customer_tax_ids] == [{"type": "eu_vat", "value": "BE0123456789"}]
    assert invoice.customer_name == "Bruxelles Data SRL"
    session = client.v1.checkout.sessions.retrieve(session.id)
    assert session.customer_details.business_name == "Bruxelles Data SRL"
    assert session.customer_details.tax_ids[0].value == "BE0123456789"
    listed = client.v1.customers.tax_ids.list(session.customer).data
    assert [(t.value, t.country, t.verification.status) for t in listed] == [
        ("BE0123456789", "BE", "verified")
    ]
    hosted = httpx.get(invoice.hosted_invoice_url).text
    assert "VAT 0% (reverse charge)" in hosted and REVERSE_CHARGE_NOTE in hosted
    assert "BE0123456789" in hosted and "Bruxelles Data SRL" in hosted
    assert b"Reverse charge: VAT to be accounted for" in httpx.get(invoice.invoice_pdf).content


@pytest.mark.parametrize(
    ("country", "tax_amount", "reason"),
    [("DE", 551, "standard_rated"), ("US", 0, "not_collecting"), ("FI", 740, "standard_rated")],
)
def test_rate_follows_the_customers_country(client, server, country, tax_amount, reason):
    session = taxed_checkout(client, make_price(client))

    pay(server, session, country=country)

    invoice = first_invoice(client, session.id)
    tax = invoice.lines.data[0].taxes[0]
    assert (tax.amount, tax.taxability_reason, invoice.total) == (tax_amount, reason, 2900 + tax_amount)
    assert client.v1.tax_rates.retrieve(tax.tax_rate_details.tax_rate).country == country


def test_business_without_verified_number_pays_its_countrys_vat(client, server):
    session = taxed_checkout(client, make_price(client))

    pay(server, session, country="DE", business="on", business_name="Muster GmbH", tax_id="DE123456000")

    invoice = first_invoice(client, session.id)
    assert invoice.lines.data[0].taxes[0].taxability_reason == "standard_rated"
    assert invoice.footer is None
    listed = client.v1.customers.tax_ids.list(invoice.customer).data
    assert listed[0].verification.status == "unverified"


def test_invalid_vat_number_is_refused_and_nothing_is_created(client, server):
    session = taxed_checkout(client, make_price(client))

    error = pay(server, session, status=400, country="BE", business="on", business_name="X", tax_id="BE12")
    assert error["error"] == {"type": "invalid_request_error", "message": "Invalid value for eu_vat.",
                              "param": "tax_id_collection", "code": "tax_id_invalid"}  # fmt: skip
    page = httpx.post(session.url, data={"card": GOOD_CARD, **DUTCH_ADDRESS, "business": "on",
                                         "business_name": "X", "tax_id": "NL12"})  # fmt: skip
    assert page.status_code == 400 and "Invalid value for eu_vat." in page.text

    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert client.v1.customers.list().data == []
    assert client.v1.subscriptions.list().data == []


def test_unknown_country_is_refused(client, server):
    session = taxed_checkout(client, make_price(client))

    error = pay(server, session, status=400, country="XX")

    assert error["error"]["code"] == "customer_tax_location_invalid"
    assert "location isn't recognized" in error["error"]["message"]
    missing = pay(server, session, status=400, line1="")
    assert missing["error"]["message"] == "Enter your billing address."
    assert client.v1.customers.list().data == []


def test_session_needs_customer_update_for_existing_customers(client, server):
    price = make_price(client)
    customer = client.v1.customers.create(params={"email": "ada@example.com"})
    base: Any = {"mode": "subscription", "customer": customer.id, "success_url": "http://shop.test/",
                 "line_items": [{"price": price.id, "quantity": 1}]}  # fmt: skip

    with pytest.raises(stripe.InvalidRequestError) as tax_ids:
        client.v1.checkout.sessions.create(params={**base, "tax_id_collection": {"enabled": True}})
    assert tax_ids.value.param == "customer_update[name]"
    assert "you must also set `customer_update[name]` to `auto`" in tax_ids.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as address:
        client.v1.checkout.sessions.create(params={**base, "automatic_tax": {"enabled": True}})
    assert address.value.param == "customer_update[address]"
    assert "requires a valid address on the Customer" in address.value.user_message

    session = client.v1.checkout.sessions.create(
        params={**base, "automatic_tax": {"enabled": True}, "tax_id_collection": {"enabled": True},
                "customer_update": {"address": "auto", "name": "auto"}}  # fmt: skip
    )
    pay(server, session, country="BE", business="on", business_name="Ada BV", tax_id="BE0123456789")
    updated = client.v1.customers.retrieve(customer.id)
    assert (updated.name, updated.address.country) == ("Ada BV", "BE")


def test_renewals_keep_computing_tax(client, server, receiver):
    session = taxed_checkout(client, make_price(client))
    pay(server, session)

    control(server, "/_test/clock/advance", days=31)

    assert server.wait_idle()
    renewal = receiver.of_type("invoice.paid")[-1].data.object
    assert renewal.billing_reason == "subscription_cycle"
    assert (renewal.total, renewal.total_taxes[0].amount) == (3509, 609)
    assert renewal.lines.data[0].taxes[0].taxability_reason == "standard_rated"


def test_untaxed_sessions_stay_as_before(client, server):
    price = make_price(client, "unspecified")
    session = client.v1.checkout.sessions.create(
        params={"mode": "subscription", "customer_email": "ada@example.com", "success_url": "http://x.test/",
                "line_items": [{"price": price.id, "quantity": 1}]}  # fmt: skip
    )
    assert session.payment_method_types == ["card"] and session.automatic_tax.enabled is False
    assert 'name="line1"' not in httpx.get(session.url).text

    control(server, f"/_test/checkout/sessions/{session.id}/pay", card=GOOD_CARD)

    invoice = first_invoice(client, session.id)
    assert (invoice.total, invoice.total_taxes, invoice.automatic_tax.enabled) == (2900, [], False)
    assert invoice.customer_address is None and invoice.lines.data[0].taxes == []


def test_price_tax_behavior_and_product_tax_code(client):
    price = make_price(client, "unspecified")
    assert client.v1.prices.update(price.id, params={"tax_behavior": "inclusive"}).tax_behavior == "inclusive"
    with pytest.raises(stripe.InvalidRequestError) as locked:
        client.v1.prices.update(price.id, params={"tax_behavior": "exclusive"})
    assert locked.value.param == "tax_behavior"
    assert "cannot be changed" in locked.value.user_message
    with pytest.raises(stripe.InvalidRequestError) as bad:
        make_price(client, "sometimes")
    assert bad.value.param == "tax_behavior"

    product = client.v1.products.create(params={"name": "Pro", "tax_code": "txcd_10103001"})
    assert product.tax_code == "txcd_10103001"
    updated = client.v1.products.update(product.id, params={"tax_code": "txcd_10000000"})
    assert updated.tax_code == "txcd_10000000"


def test_customer_tax_ids_api(client):
    customer = client.v1.customers.create(params={"name": "Visser BV"})

    tax_ids = client.v1.customers.tax_ids
    created = tax_ids.create(customer.id, params={"type": "eu_vat", "value": "nl123456789b01"})
    unverified = tax_ids.create(customer.id, params={"type": "eu_vat", "value": "EL123456000"})

    assert (created.value, created.country, created.owner.customer) == ("NL123456789B01", "NL", customer.id)
    assert (created.verification.status, created.verification.verified_name) == ("verified", "Visser BV")
    assert (unverified.country, unverified.verification.status) == ("GR", "unverified")
    listed = client.v1.customers.tax_ids.list(customer.id).data
    assert [t.id for t in listed] == [unverified.id, created.id]
    assert client.v1.customers.tax_ids.retrieve(customer.id, created.id).value == "NL123456789B01"
    deleted = client.v1.customers.tax_ids.delete(customer.id, created.id)
    assert deleted.deleted is True and deleted.id == created.id
    with pytest.raises(stripe.InvalidRequestError) as invalid:
        client.v1.customers.tax_ids.create(customer.id, params={"type": "eu_vat", "value": "DE12345"})
    assert (invalid.value.code, invalid.value.param) == ("tax_id_invalid", "value")
    assert invalid.value.user_message == "Invalid value for eu_vat."


def test_contract_tax_objects_match_stripes_fixtures(client, server):
    session = taxed_checkout(client, make_price(client))
    pay(server, session, country="BE", business="on", business_name="B SRL", tax_id="BE0123456789")
    invoice = first_invoice(client, session.id)
    rate_id = invoice.total_taxes[0].tax_rate_details.tax_rate
    tax_id = client.v1.customers.tax_ids.list(invoice.customer).data[0]
    headers = {"Authorization": "Bearer sk_test_x"}

    raw_rate = httpx.get(f"{server.url}/v1/tax_rates/{rate_id}", headers=headers).json()
    tax_id_url = f"{server.url}/v1/customers/{invoice.customer}/tax_ids/{tax_id.id}"
    raw_tax_id = httpx.get(tax_id_url, headers=headers)
    assert set(raw_rate) == set(FIXTURES["tax_rate"])
    assert set(raw_tax_id.json()) == set(FIXTURES["tax_id"])
    assert set(raw_tax_id.json()["verification"]) == set(FIXTURES["tax_id"]["verification"])
    rate = client.v1.tax_rates.retrieve(rate_id)
    assert isinstance(rate, stripe.TaxRate) and rate.percentage == 0 and rate.tax_type == "vat"
    assert isinstance(tax_id, stripe.TaxId) and tax_id.owner.type == "customer"


def test_retrieving_after_a_month_uses_the_same_rate_object(client, server):
    session = taxed_checkout(client, make_price(client))
    pay(server, session)
    first = first_invoice(client, session.id).total_taxes[0].tax_rate_details.tax_rate

    control(server, "/_test/clock/advance", days=32)

    customer = client.v1.checkout.sessions.retrieve(session.id).customer
    invoices = client.v1.invoices.list(params={"customer": customer})
    assert {inv.total_taxes[0].tax_rate_details.tax_rate for inv in invoices.data} == {first}
    assert len(client.v1.tax_rates.list().data) == 1
