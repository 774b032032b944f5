"""Every mail renders a one-line subject, a text part and an escaped HTML part."""

import html
import re
from datetime import date
from pathlib import Path

import pytest
from jinja2 import UndefinedError

import emails
from emails import mails
from emails.mails import format_money
from emails.render import render

COMPANY = "<Acme & Co>"
TEMPLATES = Path(emails.__file__).parent / "templates"

# mail name -> (context function arguments, links the mail must carry, the button's first)
CASES = {
    "welcome": (
        {
            "company": COMPANY,
            "site_url": "https://acme.example.test/",
            "portal_url": "https://portal.contyzr.test/",
            "signin_url": "https://portal.contyzr.test/signin?token=abc&next=/",
        },
        [
            "https://portal.contyzr.test/signin?token=abc&next=/",
            "https://acme.example.test/",
            "https://portal.contyzr.test/",
        ],
    ),
    "password_reset": (
        {"reset_url": "https://portal.contyzr.test/reset?token=abc&u=1", "expires_minutes": 30},
        ["https://portal.contyzr.test/reset?token=abc&u=1"],
    ),
    "dunning": (
        {
            "company": COMPANY,
            "amount_due_cents": 7900,
            "currency": "eur",
            "hosted_invoice_url": "https://invoice.stripe.test/i/acct_1?s=ap",
            "billing_url": "https://portal.contyzr.test/billing",
            "grace_days_left": 3,
        },
        ["https://invoice.stripe.test/i/acct_1?s=ap", "https://portal.contyzr.test/billing"],
    ),
    "payment_action_required": (
        {
            "company": COMPANY,
            "amount_due_cents": 9559,
            "currency": "eur",
            "hosted_invoice_url": "https://invoice.stripe.test/i/acct_1?s=ar",
            "billing_url": "https://portal.contyzr.test/billing",
            "grace_days_left": 10,
            "method_type": "card",
            "method_brand": "visa",
            "method_last4": "3184",
        },
        ["https://invoice.stripe.test/i/acct_1?s=ar", "https://portal.contyzr.test/billing"],
    ),
    "trial_ending": (
        {"company": COMPANY, "trial_end": "2027-01-14T23:30:00+00:00",
         "billing_url": "https://portal.contyzr.test/billing", "has_payment_method": False},
        ["https://portal.contyzr.test/billing"],
    ),
    "suspended": (
        {"company": COMPANY, "billing_url": "https://portal.contyzr.test/billing"},
        ["https://portal.contyzr.test/billing"],
    ),
    "reactivated": (
        {"company": COMPANY, "portal_url": "https://portal.contyzr.test/"},
        ["https://portal.contyzr.test/"],
    ),
    "closing_reminder": (
        {
            "company": COMPANY,
            "delete_on_date": date(2025, 3, 7),
            "billing_url": "https://portal.contyzr.test/billing",
        },
        ["https://portal.contyzr.test/billing"],
    ),
    "team_invite": (
        {
            "company": COMPANY,
            "inviter": "Jane <Doe>",
            "accept_url": "https://portal.contyzr.test/invite?token=abc&x=1",
            "role": "editor",
        },
        ["https://portal.contyzr.test/invite?token=abc&x=1"],
    ),
    "contact_submission": (
        {
            "company": COMPANY,
            "name": "Ann <Visitor>",
            "email": "ann@example.com",
            "message": "Hello <b>there</b>",
            "page_slug": "contact",
            "inbox_url": "https://portal.contyzr.test/portal/inbox?x=1&y=2",
        },
        ["https://portal.contyzr.test/portal/inbox?x=1&y=2"],
    ),
    "domain_verified": (
        {"company": COMPANY, "domain": "bäckerei.nl", "site_url": "https://xn--bckerei-5wa.nl/",
         "domains_url": "https://portal.contyzr.test/portal/domain?x=1&y=2"},
        ["https://xn--bckerei-5wa.nl/", "https://portal.contyzr.test/portal/domain?x=1&y=2"],
    ),
    "domain_lost": (
        {"company": COMPANY, "domain": "bäckerei.nl", "served_until": "2026-12-05 21:00 UTC",
         "domains_url": "https://portal.contyzr.test/portal/domain?x=1&y=2"},
        ["https://portal.contyzr.test/portal/domain?x=1&y=2"],
    ),
    "domain_claim_dropped": (
        {"company": COMPANY, "domain": "bäckerei.nl",
         "domains_url": "https://portal.contyzr.test/portal/domain?x=1&y=2"},
        ["https://portal.contyzr.test/portal/domain?x=1&y=2"],
    ),
}
ORDER = {"number": 1001, "lines": [{"name": "Mug <blue>", "quantity": 2, "cents": 2400},
                                   {"name": "Book", "quantity": 1, "cents": 1090}],
         "goods": 3490, "shipping": 495, "shipping_method": "flat", "total": 3985,
         "currency": "eur", "vat": [(21, 417), (9, 90)], "name": "Ann Buyer",
         "email": "ann@example.com", "short": ["Mug <blue>"],
         "address": {"line1": "Dorpsstraat 1", "postal_code": "1234 AB", "city": "Utrecht",
                     "country": "NL"}}
SHOP = "https://acme.example.test/?x=1&y=2"
ORDER_URL = "https://portal.contyzr.test/portal/orders/7?x=1"
CASES.update({
    "order_confirmation": ({"company": COMPANY, "order": ORDER, "site_url": SHOP,
                            "owner_email": "owner@example.com"}, [SHOP]),
    "order_shipped": ({"company": COMPANY, "order": ORDER, "site_url": SHOP,
                       "owner_email": "owner@example.com",
                       "tracking_url": "https://track.example.test/?c=1&d=2"},
                      ["https://track.example.test/?c=1&d=2"]),
    "order_out_of_stock": ({"company": COMPANY, "order": ORDER, "site_url": SHOP,
                            "owner_email": "owner@example.com"}, [SHOP]),
    "new_order": ({"company": COMPANY, "order": ORDER, "order_url": ORDER_URL}, [ORDER_URL]),
    "order_out_of_stock_owner": ({"company": COMPANY, "order": ORDER, "order_url": ORDER_URL},
                                 [ORDER_URL]),
})
CASES["staff_invite"] = ({"inviter": "Ann <Admin>", "role": "support",
                          "accept_url": "https://portal.contyzr.test/admin/invite/7.ab?x=1"},
                         ["https://portal.contyzr.test/admin/invite/7.ab?x=1"])
CASES["staff_alert"] = ({"rule": "site_down", "phase": "opened", "subject": "tenant:7",
                         "summary": "Site acme is down: HTTP 500 <b> (2 checks in a row)",
                         "opened_at": "2026-12-03T12:00:00+00:00", "more": 3,
                         "incidents_url": "https://portal.contyzr.test/admin/incidents?x=1"},
                        ["https://portal.contyzr.test/admin/incidents?x=1"])
# The buyer's mails come from the shop, signed with its name.
SHOP_MAILS = {"order_confirmation", "order_shipped", "order_out_of_stock"}


def rendered(name):
    arguments, _ = CASES[name]
    return render(name, **getattr(mails, name)(**arguments))


def test_every_template_folder_has_a_mail_function_and_a_test_case():
    folders = {path.name for path in TEMPLATES.iterdir() if not path.name.startswith("_")}

    assert folders == set(CASES)
    for name in folders:
        assert callable(getattr(mails, name))
        assert {path.name for path in (TEMPLATES / name).iterdir()} == {
            "subject.txt",
            "body.txt",
            "body.html",
        }


@pytest.mark.parametrize("name", CASES)
def test_the_subject_is_one_plain_line(name):
    subject = rendered(name).subject

    assert subject
    assert "\n" not in subject
    assert subject == subject.strip()
    assert "&amp;" not in subject


@pytest.mark.parametrize("name", CASES)
def test_both_parts_carry_the_links_and_the_sign_off(name):
    mail = rendered(name)
    _, links = CASES[name]

    for link in links:
        assert link in mail.text
        assert f'href="{html.escape(link)}"' in mail.html
    signed = (COMPANY, html.escape(COMPANY)) if name in SHOP_MAILS else ("The Contyzr team",) * 2
    assert mail.text.rstrip().endswith(signed[0])
    assert signed[1] in mail.html


@pytest.mark.parametrize("name", [name for name, (args, _) in CASES.items() if "company" in args])
def test_the_company_is_named_and_escaped_in_html_only(name):
    mail = rendered(name)

    assert COMPANY in mail.subject or name.startswith(("new_order", "order_out_of_stock"))
    assert COMPANY in mail.text
    assert "&lt;Acme &amp; Co&gt;" in mail.html
    assert COMPANY not in mail.html


@pytest.mark.parametrize("name", CASES)
def test_the_main_link_is_a_button_and_repeated_as_text(name):
    mail = rendered(name)
    main_link = html.escape(CASES[name][1][0])

    assert mail.html.count(f'href="{main_link}"') >= 2
    assert f">{main_link}</a>" in mail.html
    assert "display:inline-block" in mail.html


def test_the_inviter_is_escaped_too():
    mail = rendered("team_invite")

    assert "Jane <Doe> invited you to join <Acme & Co> on Contyzr" == mail.subject
    assert "&lt;Doe&gt;" in mail.html
    assert "editor" in mail.text


def test_dunning_shows_the_amount_for_people_and_the_deadline():
    mail = rendered("dunning")

    assert "€79.00" in mail.text
    assert "€79.00" in mail.html
    assert "suspended in 3 days" in mail.text


@pytest.mark.parametrize(
    ("days", "phrase"), [(0, "suspended today"), (1, "suspended tomorrow"), (5, "in 5 days")]
)
def test_dunning_words_the_grace_period(days, phrase):
    arguments = CASES["dunning"][0] | {"grace_days_left": days}

    assert phrase in render("dunning", **mails.dunning(**arguments)).text


def test_expiry_times_are_worded_for_people():
    welcome = render("welcome", **mails.welcome(**CASES["welcome"][0], expires_days=1))
    reset = render("password_reset", **mails.password_reset("https://r.test/", 45))

    assert "expires in 1 day:" in welcome.text
    assert "expires in 45 minutes" in reset.text


def test_the_closing_date_is_written_out():
    assert "7 March 2025" in rendered("closing_reminder").subject


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [
        (7900, "EUR", "€79.00"),
        (7900, "eur", "€79.00"),
        (5, "usd", "$0.05"),
        (123456789, "GBP", "£1,234,567.89"),
        (-1550, "EUR", "-€15.50"),
        (7900, "chf", "CHF 79.00"),
    ],
)
def test_money_is_formatted_for_people(cents, currency, expected):
    assert format_money(cents, currency) == expected


def test_a_missing_context_value_is_an_error():
    with pytest.raises(UndefinedError):
        render("suspended", company="Acme")


DUNNING = CASES["dunning"][0]


@pytest.mark.parametrize(("method", "said", "hint"), [
    ({"method_type": "sepa_debit", "method_last4": "5264"},
     "Your bank did not pay the SEPA Direct Debit of €79.00 for", "To pay from another account"),
    ({"method_type": "card", "method_brand": "mastercard", "method_last4": "4444"},
     "We couldn't charge €79.00 for", "To pay with a different card"),
    ({}, "We couldn't collect the latest payment of €79.00", "To pay with a different card"),
])
def test_dunning_names_the_payment_method_the_tenant_uses(method, said, hint):
    mail = render("dunning", "en", **mails.dunning(**DUNNING, **method))
    for part in (mail.text, html.unescape(re.sub(r"<[^>]+>", "", mail.html))):
        assert said in part and hint in part
    if method:
        assert f"ending in {method['method_last4']}" in mail.text
    if method.get("method_brand"):
        assert "Mastercard card" in mail.text


def test_the_suspension_mail_names_a_failed_direct_debit_in_dutch():
    mail = render("suspended", "nl", **mails.suspended(
        "Bakkerij de Vries", "https://portal.contyzr.test/billing", method_type="sepa_debit",
        method_last4="5264"))
    assert "SEPA-incasso van je rekening eindigend op 5264 is mislukt" in mail.text


def test_the_confirmation_mail_links_the_invoice_in_dutch():
    mail = render("payment_action_required", "nl",
                  **mails.payment_action_required(**CASES["payment_action_required"][0]))
    assert mail.subject.startswith("Bevestig de betaling voor")
    assert "Visa-kaart eindigend op 3184" in mail.text
    assert "https://invoice.stripe.test/i/acct_1?s=ar" in mail.text


def test_an_order_confirmation_lists_the_products_the_vat_per_rate_and_the_address():
    mail = rendered("order_confirmation")

    assert "2 × Mug <blue>: €24.00" in mail.text
    assert "Including 21% VAT: €4.17" in mail.text and "Including 9% VAT: €0.90" in mail.text
    assert "Total: €39.85" in mail.text
    assert "Dorpsstraat 1" in mail.text and "1234 AB Utrecht" in mail.text
    assert "Mug &lt;blue&gt;" in mail.html and "Mug <blue>" not in mail.html
    assert mail.from_name == COMPANY and mail.reply_to == "owner@example.com"


def test_a_buyers_mail_speaks_the_sites_language_even_one_the_portal_does_not():
    arguments, _ = CASES["order_confirmation"]
    german = render("order_confirmation", "de", site_language=True,
                    **mails.order_confirmation(**arguments))
    portal_only = render("order_confirmation", "de", **mails.order_confirmation(**arguments))

    assert "Bestellung" in german.subject
    assert "bestelling" in portal_only.subject  # a portal mail falls back to Dutch
    assert "21 % MwSt." in german.text or "21 % MwSt" in german.text


def test_a_staff_alert_names_the_rule_and_what_it_stands_for():
    opened = rendered("staff_alert")
    assert opened.subject == "Incident: A tenant site is down (tenant:7)"
    assert "Site acme is down: HTTP 500 <b>" in opened.text
    assert "HTTP 500 &lt;b&gt;" in opened.html
    assert "And 3 more site_down incidents" in opened.text
    resolved = render("staff_alert", "nl", **mails.staff_alert(
        **CASES["staff_alert"][0] | {"phase": "resolved", "more": 0,
                                     "resolved_at": "2026-12-03T13:30:00+00:00"}))
    assert "(tenant:7)" in resolved.subject and "more" not in resolved.text
    assert "14:30" in resolved.text  # Amsterdam time
