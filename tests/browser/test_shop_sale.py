"""A first sale, in a real browser (headless Chromium): a Professional owner connects their
Stripe account through Stripe's onboarding on the local Stripe and adds a product with a stock
of 3; a visitor buys 2 with iDEAL; the order appears in the portal, the buyer and the owner
each get their mail once, and the stock shows 1.

Screenshots go to ``test-results/browser/shop-sale/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Page, expect

from support import run_workers_until, sign_in

RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "browser" / "shop-sale"
COMPANY = "Spelt & Co"

expect.set_options(timeout=15_000)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=RESULTS / f"{name}.png", full_page=True)


def test_an_owner_connects_stripe_and_a_visitor_buys_with_ideal(
        chromium_page, storefront, site_owner, stripe_fake, mails):
    live, page = storefront, chromium_page
    base, site, owner_email = live.config["PUBLIC_URL"], site_owner.site, site_owner.email
    shutil.rmtree(RESULTS, ignore_errors=True)
    RESULTS.mkdir(parents=True)

    # The owner connects a Stripe account: Stripe's onboarding, then back in the portal.
    sign_in(page, live, owner_email)
    portal_nav = page.get_by_role("navigation", name="Portal")
    portal_nav.get_by_role("link", name="Shop settings").click()
    expect(page.get_by_text("Not connected yet.")).to_be_visible()
    page.get_by_role("button", name="Connect with Stripe").click()
    expect(page.get_by_role("button", name="Agree and submit")).to_be_visible()
    page.get_by_label("IBAN of the bank account for payouts").fill("NL39RABO0300065264")
    shot(page, "stripe-onboarding")
    page.get_by_role("button", name="Agree and submit").click()
    expect(page.get_by_text("Your shop takes orders.")).to_be_visible()
    shot(page, "shop-connected")

    # The owner adds a product with a stock of 3.
    portal_nav.get_by_role("link", name="Products").click()
    page.get_by_role("link", name="New product").click()
    page.get_by_label("Name").fill("Spelt loaf")
    page.get_by_label("Price in euros").fill("4.50")
    page.get_by_label("Stock").fill("3")
    page.get_by_label("VAT in the price").select_option("9")
    page.get_by_role("button", name="Save product").click()
    expect(page.get_by_text("Spelt loaf is saved.")).to_be_visible()

    # A visitor buys 2 with iDEAL.
    visitor = page.context.browser.new_context(viewport={"width": 1280, "height": 900},
                                               locale="en-GB").new_page()
    visitor.goto(f"{site}/shop/spelt-loaf")
    visitor.get_by_label("Quantity").fill("2")
    visitor.get_by_role("button", name="Add to cart").click()
    expect(visitor.get_by_role("heading", name="Cart")).to_be_visible()
    expect(visitor.locator(".cart-total")).to_have_text("€9")
    shot(visitor, "cart")
    visitor.get_by_role("button", name="Checkout").click()
    visitor.locator("#method-ideal").check()
    visitor.get_by_label("Email").fill("vera@example.org")
    visitor.get_by_label("Name").fill("Vera Visitor")
    visitor.get_by_label("Address").fill("Dorpsstraat 1")
    visitor.get_by_label("Postal code").fill("3511 AB")
    visitor.get_by_label("City").fill("Utrecht")
    shot(visitor, "stripe-checkout")
    visitor.get_by_role("button", name="Pay").click()
    expect(visitor.get_by_role("heading", name="Thank you for your order!")).to_be_visible()

    run_workers_until(live, stripe_fake, lambda: len(mails.emails) >= 2, "the order's mails")
    visitor.reload()
    expect(visitor.get_by_text("Order 1001 is confirmed.")).to_be_visible()
    shot(visitor, "thanks")

    # The owner finds the order, and the stock is 1.
    page.goto(f"{base}/portal/orders")
    expect(page.get_by_role("link", name="#1001")).to_be_visible()
    page.get_by_role("link", name="#1001").click()
    expect(page.get_by_text("Vera Visitor")).to_be_visible()
    expect(page.get_by_text("Including 9% VAT").or_(page.get_by_text("Including VAT"))).to_be_visible()
    shot(page, "order")
    portal_nav.get_by_role("link", name="Products").click()
    expect(page.get_by_role("row", name="Spelt loaf")).to_contain_text("1")

    to_buyer = [m for m in mails.emails if m["body"]["to"] == ["vera@example.org"]]
    to_owner = [m for m in mails.emails if m["body"]["to"] == [owner_email]]
    assert len(to_buyer) == 1 and "Your order 1001" in to_buyer[0]["body"]["subject"]
    assert COMPANY in to_buyer[0]["body"]["from"]
    assert len(to_owner) == 1 and "New order 1001" in to_owner[0]["body"]["subject"]
    run_workers_until(live, stripe_fake, lambda: True, "late deliveries")
    assert len(mails.emails) == 2  # and never a second time
