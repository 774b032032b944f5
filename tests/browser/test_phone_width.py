"""Phone-first pages in a real browser (headless Chromium): the pricing page, the portal's
dashboard, team and theme pages and a tenant's home page fit a 390 px screen without sideways
scrolling (and still look right at 1280 px); on a phone the site's menu button opens the
navigation; the theme page's preview follows the colour typed in.

Screenshots go to ``test-results/browser/phone-width/<width>-<page>.png``. The tenant is made by
the factories and committed; the test deletes it afterwards.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Page, expect

from support import sign_in

RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "browser" / "phone-width"
COMPANY = "Narrowboat Bakery and Coffee Roasters"  # a long name, to wrap on a phone
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}

expect.set_options(timeout=15_000)


def too_wide(page: Page) -> int:
    """How many pixels the page is wider than the window (0 when nothing scrolls sideways)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def test_pages_fit_a_phone_and_the_site_menu_opens(chromium_page, storefront, site_owner):
    page, base = chromium_page, storefront.config["PUBLIC_URL"]
    shutil.rmtree(RESULTS, ignore_errors=True)
    RESULTS.mkdir(parents=True)
    site = f"{site_owner.site}/"
    pages = {"pricing": f"{base}/pricing", "portal-dashboard": f"{base}/portal/",
             "portal-team": f"{base}/portal/team", "portal-theme": f"{base}/portal/theme",
             "site-home": site}
    sign_in(page, storefront, site_owner.email)

    wider = []
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        for name, url in pages.items():
            page.goto(url)
            page.screenshot(path=RESULTS / f"{size['width']}-{name}.png", full_page=True)
            if (extra := too_wide(page)) > 0:
                wider.append(f"{name} at {size['width']} px is {extra} px too wide")
    assert wider == []

    # The pricing comparison on a phone: every plan is there, and the hint says to scroll.
    page.set_viewport_size(PHONE)
    page.goto(pages["pricing"])
    expect(page.get_by_text("scroll it sideways for more")).to_be_visible()
    for plan in ("Starter", "Professional", "Enterprise"):
        expect(page.get_by_role("columnheader", name=plan)).to_have_count(1)

    # The site's menu on a phone, by keyboard: Enter opens it, Escape closes it.
    page.goto(site)
    navigation = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="Menu")
    expect(navigation).to_be_hidden()
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(navigation.get_by_role("link", name="Contact")).to_be_visible()
    page.screenshot(path=RESULTS / "390-site-menu-open.png", full_page=True)
    assert too_wide(page) <= 0
    page.keyboard.press("Escape")
    expect(navigation).to_be_hidden()
    navigation_link = navigation.get_by_role("link", name="Contact")
    menu.click()
    navigation_link.click()
    expect(page).to_have_url(f"{site}contact")

    # On a wide screen the navigation shows as before, without a menu button.
    page.set_viewport_size(DESKTOP)
    expect(menu).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Contact")) \
        .to_be_visible()

    # The theme page's preview follows what is typed, before anything is saved.
    page.goto(pages["portal-theme"])
    preview = page.locator("#theme-preview")
    page.get_by_label("Primary colour", exact=True).fill("#7b2d26")
    page.get_by_label("Serif: classic, like a book").check()
    colour = preview.evaluate("e => getComputedStyle(e).getPropertyValue('--primary').trim()")
    assert colour == "#7b2d26"
    heading_font = preview.locator(".tp-heading").evaluate(
        "e => getComputedStyle(e).fontFamily")
    assert "Georgia" in heading_font
    page.screenshot(path=RESULTS / "1280-portal-theme-preview.png", full_page=True)
