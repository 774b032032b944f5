"""VAT through Stripe Tax on the local Stripe: what each customer pays, what the invoice says,
and what the portal's billing page shows. The seller is Dutch; prices exclude VAT."""

import re

from sqlalchemy import select

from db.models import Invoice, Signup

from support import BILLING_NL, csrf_token, fake_stripe, http
from timeline import CARD_OK, sign_in_owner

BELGIAN_BUSINESS = {"card": CARD_OK, "name": "Lotte Peeters", "line1": "Grote Markt 1",
                    "postal_code": "1000", "city": "Brussel", "country": "BE", "business": "on",
                    "business_name": "Brusselse Bakkerij BV", "tax_id": "BE0123456789"}
GERMAN_CONSUMER = {"card": CARD_OK, "name": "Jonas Weber", "line1": "Unter den Linden 5",
                   "postal_code": "10117", "city": "Berlin", "country": "DE"}
US_CUSTOMER = {"card": CARD_OK, "name": "Jane Miller", "line1": "1 Market Street",
               "postal_code": "94105", "city": "San Francisco", "country": "US"}


def first_invoice(db_session, t) -> Invoice:
    return db_session.scalar(select(Invoice).where(Invoice.customer_id == t.customer)
                             .order_by(Invoice.created))


def billing_page(client, t) -> str:
    sign_in_owner(client, t)
    html = client.get("/portal/billing").get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_dutch_consumer_pays_21_percent_on_top_and_sees_it_on_the_invoice(timeline, client,
                                                                           db_session):
    t = timeline()
    invoice = first_invoice(db_session, t)
    assert (invoice.total_excluding_tax, invoice.tax, invoice.total) == (2900, 609, 3509)
    assert invoice.amount_paid == 3509 and invoice.status == "paid"
    assert invoice.tax_percent == 21 and invoice.taxability_reason == "standard_rated"
    assert invoice.customer_address["country"] == "NL" and invoice.number

    page = billing_page(client, t)
    assert f"{invoice.number}" in page and "€29 €6.09 (21%) €35.09 paid" in page
    assert "Keizersgracht 1" in page and "1015 CJ Amsterdam" in page and "Netherlands" in page
    assert "Reverse charge" not in page

    # Every renewal is taxed the same way.
    t.to_period_end()
    t.sync()
    renewal = db_session.scalar(select(Invoice).where(
        Invoice.customer_id == t.customer, Invoice.billing_reason == "subscription_cycle"))
    assert (renewal.tax, renewal.total, renewal.status) == (609, 3509, "paid")


def test_a_belgian_business_with_a_vat_number_is_reverse_charged(timeline, client, db_session,
                                                                 stripe_fake):
    t = timeline(checkout=BELGIAN_BUSINESS)
    invoice = first_invoice(db_session, t)
    assert (invoice.tax, invoice.total, invoice.amount_paid) == (0, 2900, 2900)
    assert invoice.taxability_reason == "reverse_charge"
    assert invoice.customer_tax_ids == [{"type": "eu_vat", "value": "BE0123456789"}]
    assert invoice.customer_name == "Brusselse Bakkerij BV"

    page = billing_page(client, t)
    assert "reverse charge" in page and "VAT number: BE0123456789" in page
    assert "VAT to be accounted for by the recipient (Article 196" in page
    assert "Brusselse Bakkerij BV" in page and "Belgium" in page
    # Stripe's own invoice carries the legal note too.
    hosted = http.get(invoice.hosted_invoice_url).text
    assert "Reverse charge" in hosted and "BE0123456789" in hosted
    assert http.get(invoice.invoice_pdf).content.startswith(b"%PDF")


def test_a_german_consumer_pays_german_vat(timeline, db_session):
    t = timeline(checkout=GERMAN_CONSUMER)
    invoice = first_invoice(db_session, t)
    assert (invoice.tax, invoice.total, invoice.tax_percent) == (551, 3451, 19)
    assert invoice.taxability_reason == "standard_rated"


def test_a_customer_outside_the_eu_pays_no_vat(timeline, client, db_session):
    t = timeline(checkout=US_CUSTOMER)
    invoice = first_invoice(db_session, t)
    assert (invoice.tax, invoice.total) == (0, 2900)
    assert invoice.taxability_reason == "not_collecting"
    assert "none (outside the EU)" in billing_page(client, t)


def _open_checkout(client, db_session, subdomain) -> Signup:
    url = "/signup?plan=starter&interval=month"
    response = client.post(url, data={
        "company": "Refused BV", "subdomain": subdomain, "email": f"{subdomain}@example.com",
        "password": "a long and happy password", "template": "corporate", "terms": "y",
        "csrf_token": csrf_token(client, url)})
    assert response.status_code == 303
    return db_session.scalar(select(Signup).where(Signup.subdomain == subdomain))


def test_an_invalid_vat_number_is_refused_and_nothing_happens(client, db_session, forwarder,
                                                             stripe_fake):
    signup = _open_checkout(client, db_session, "vat-refused")
    business = {**BELGIAN_BUSINESS, "tax_id": "BE12345"}
    page = http.post(signup.checkout_url, data=business, follow_redirects=False)
    assert page.status_code == 400 and "Invalid value for eu_vat." in page.text
    refused = fake_stripe(stripe_fake, "POST",
                          f"/_test/checkout/sessions/{signup.checkout_session_id}/pay", **business)
    assert refused["error"]["code"] == "tax_id_invalid"

    session = fake_stripe(stripe_fake, "GET", f"/v1/checkout/sessions/{signup.checkout_session_id}")
    assert session["status"] == "open" and session["subscription"] is None
    customer = fake_stripe(stripe_fake, "GET", f"/v1/customers/{signup.stripe_customer_id}")
    assert customer["address"] is None and customer["name"] == "Refused BV"
    assert fake_stripe(stripe_fake, "GET",
                       f"/v1/customers/{signup.stripe_customer_id}/tax_ids")["data"] == []
    assert not [e for e in forwarder.new_events() if e["type"] != "customer.created"]
    db_session.expire_all()
    assert signup.status == "pending" and signup.payment_pending_since is None


def test_a_billing_country_stripe_tax_does_not_know_is_refused(client, db_session, stripe_fake):
    signup = _open_checkout(client, db_session, "vat-nowhere")
    refused = fake_stripe(stripe_fake, "POST",
                          f"/_test/checkout/sessions/{signup.checkout_session_id}/pay",
                          card=CARD_OK, **{**BILLING_NL, "country": "XX"})
    assert refused["error"]["code"] == "customer_tax_location_invalid"
    session = fake_stripe(stripe_fake, "GET", f"/v1/checkout/sessions/{signup.checkout_session_id}")
    assert session["status"] == "open"


def test_checkout_asks_stripe_for_tax_vat_numbers_and_the_catalogs_payment_methods(
        client, db_session, stripe_fake):
    signup = _open_checkout(client, db_session, "vat-asks")
    session = fake_stripe(stripe_fake, "GET", f"/v1/checkout/sessions/{signup.checkout_session_id}")
    assert session["automatic_tax"]["enabled"] is True
    assert session["tax_id_collection"]["enabled"] is True
    assert session["billing_address_collection"] == "required"
    assert session["payment_method_types"] == ["ideal", "card", "sepa_debit", "bancontact"]
    prices = fake_stripe(stripe_fake, "GET", "/v1/prices?lookup_keys[]=starter_monthly")["data"]
    assert prices[0]["tax_behavior"] == "exclusive"
    product = fake_stripe(stripe_fake, "GET", f"/v1/products/{prices[0]['product']}")
    assert product["tax_code"] == "txcd_10000000"
