"""A Professional site's owner and a visitor in a real browser (headless Chromium): the visitor
sends the contact form, the owner finds it in the inbox and got exactly one mail; the owner puts
an uploaded photo on the home page and changes the primary colour, and sees both on the live site.

Screenshots go to ``test-results/browser/site-owner/``. The tenant comes from the
``site_owner`` fixture (tests/browser/conftest.py).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect

from support import run_jobs, sign_in

RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "browser" / "site-owner"
COMPANY = "Corner Bakery"
MIN_FILL_MS = 3_200  # the contact form refuses (as spam) what is sent within 3 s of its rendering

expect.set_options(timeout=15_000)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=RESULTS / f"{name}.png", full_page=True)


def photo_file(tmp_path: Path) -> Path:
    """A 1200 × 800 JPEG, wide enough for the site to make smaller copies of it."""
    path = tmp_path / "shop-window.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (200, 120, 40)).save(buffer, "JPEG", quality=80)
    path.write_bytes(buffer.getvalue())
    return path


def test_visitor_writes_and_owner_edits_the_site(chromium_page, storefront, site_owner, mails,
                                                  tmp_path):
    live, page = storefront, chromium_page
    base, site, owner_email = live.config["PUBLIC_URL"], site_owner.site, site_owner.email
    shutil.rmtree(RESULTS, ignore_errors=True)
    RESULTS.mkdir(parents=True)
    # A visitor sends the contact form.
    page.goto(f"{site}/contact")
    form = page.locator("form.contact-form")
    form.get_by_label("Name").fill("Vera Visitor")
    form.get_by_label("Email").fill("vera@example.org")
    form.get_by_label("Message").fill("Do you bake spelt bread on Saturdays?")
    page.wait_for_timeout(MIN_FILL_MS)
    form.get_by_role("button").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    shot(page, "contact-sent")
    run_jobs(live)
    notices = [m for m in mails.emails if m["body"]["to"] == [owner_email]]
    assert len(notices) == 1, mails.emails
    assert notices[0]["body"]["reply_to"] in ("vera@example.org", ["vera@example.org"])
    assert "spelt bread" in notices[0]["body"]["text"]

    # The owner signs in and finds it in the inbox.
    sign_in(page, live, owner_email)
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Inbox").click()
    expect(page.get_by_text("Vera Visitor")).to_be_visible()
    page.get_by_role("link", name="Vera Visitor").click()
    expect(page.get_by_text("Do you bake spelt bread on Saturdays?")).to_be_visible()
    shot(page, "inbox-message")

    # The owner uploads a photo and puts it on the home page in an image block.
    portal_nav = page.get_by_role("navigation", name="Portal")
    portal_nav.get_by_role("link", name="Media").click()
    page.get_by_label("File").set_input_files(photo_file(tmp_path))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("“shop-window.jpg” is uploaded")).to_be_visible()
    portal_nav.get_by_role("link", name="Pages").click()
    page.get_by_role("link", name="Home", exact=True).click()
    page.get_by_label("Block type").select_option(label="Image")
    page.get_by_role("button", name="Add block").click()
    page.get_by_label("shop-window.jpg").check()
    page.get_by_role("textbox", name="Alt text").fill("Our shop window with fresh loaves")
    page.get_by_label("Caption").fill("Fresh every morning")
    shot(page, "image-block-form")
    page.get_by_role("button", name="Save block").click()
    expect(page.get_by_text("Image block saved.")).to_be_visible()

    page.goto(f"{site}/")
    photo = page.get_by_role("img", name="Our shop window with fresh loaves")
    photo.scroll_into_view_if_needed()
    expect(photo).to_be_visible()
    expect(page.get_by_text("Fresh every morning")).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    assert "480w" in photo.get_attribute("srcset")
    assert (photo.get_attribute("width"), photo.get_attribute("height")) == ("1200", "800")
    shot(page, "site-with-photo")

    # The owner changes the primary colour; the live site shows it.
    page.goto(f"{base}/portal/")
    portal_nav.get_by_role("link", name="Theme").click()
    page.get_by_label("Primary colour", exact=True).fill("#7a1f5c")
    page.get_by_role("button", name="Save the look").click()
    expect(page.get_by_text("Your site's look is saved.")).to_be_visible()
    page.goto(f"{site}/")
    expect(page.locator(".block-hero")).to_have_css("background-color", "rgb(122, 31, 92)")
    shot(page, "site-new-colour")
