"""An Enterprise owner in a real browser (headless Chromium) asks the writing assistant for a
text on its page and watches the proposal stream in; then, in the home page's editor, has it
draft a text block, puts the proposal into the block, edits and saves it, finds it marked in
the page's history and sees it on the live site. The provider is the local OpenAI-compatible
API.

Screenshots go to ``test-results/browser/writing-assistant/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from support import sign_in

RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "browser" / "writing-assistant"
COMPANY = "Bakkerij Blum"
PLAN = "enterprise"
LANGUAGES = ["en", "nl"]  # the site in English, also in Dutch
PROPOSAL = "Bij Bakkerij Blum bakken we elke ochtend vers brood, met meel van de molen om de hoek."

expect.set_options(timeout=15_000)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=RESULTS / f"{name}.png", full_page=True)


def test_an_owner_drafts_edits_and_publishes_a_text_block(chromium_page, storefront, site_owner):
    from fakes.openai_api import start_in_thread

    live, page = storefront, chromium_page
    shutil.rmtree(RESULTS, ignore_errors=True)
    RESULTS.mkdir(parents=True)
    ai = start_in_thread(api_keys=["sk-test"], chunk_delay_ms=20)
    live.config.update(AI_API_BASE=f"{ai.url}/v1", AI_API_KEY="sk-test", AI_MODEL="gpt-4o-mini")
    try:
        httpx.post(f"{ai.url}/_test/replies", json={"content": PROPOSAL})
        sign_in(page, live, site_owner.email)
        portal_nav = page.get_by_role("navigation", name="Portal")
        portal_nav.get_by_role("link", name="Writing assistant").click()
        page.get_by_label("Your brief or text").fill("Een welkomsttekst voor onze bakkerij in Utrecht")
        page.get_by_role("button", name="Ask the assistant").click()
        proposal = page.locator("#assistant-proposal")
        expect(proposal).to_have_value(PROPOSAL)
        shot(page, "proposal")
        [sent] = httpx.get(f"{ai.url}/_test/requests").json()
        assert "Een welkomsttekst" in sent["body"]["messages"][-1]["content"]

        # In the block editor: the assistant drafts the block's text, the owner edits it and
        # saves, and the page's history marks what the assistant wrote.
        httpx.post(f"{ai.url}/_test/replies", json={"content": PROPOSAL})
        portal_nav.get_by_role("link", name="Pages").click()
        page.get_by_role("link", name="Home", exact=True).click()
        page.get_by_label("Block type").select_option(label="Text")
        page.get_by_role("button", name="Add block").click()
        page.get_by_label("Heading").fill("Welkom")
        page.locator(".assistant-tools summary").click()
        page.get_by_label("Brief for a new text").fill("Een welkomsttekst voor onze bakkerij")
        page.get_by_role("button", name="Draft a text").click()
        expect(page.get_by_label("Proposal")).to_have_value(PROPOSAL)
        body = page.get_by_label("Text", exact=True)
        expect(body).to_have_value("")  # only proposed
        page.get_by_role("button", name="Use this").click()
        expect(body).to_have_value(PROPOSAL)
        shot(page, "proposal-in-the-block")
        edited = PROPOSAL + " Kom proeven!"
        body.fill(edited)
        page.get_by_role("button", name="Save block").click()
        expect(page.get_by_text("Text block saved.")).to_be_visible()
        page.get_by_text("History").click()
        expect(page.get_by_text("written with the assistant")).to_be_visible()

        # The translation screen: all of the page's texts in one request, put in the fields,
        # checked and saved by the owner.
        httpx.post(f"{ai.url}/_test/replies", json={
            "content": "[[title]]\nThuis\n\n[[block-4-heading]]\nWelkom\n\n[[block-4-body]]\nVers brood."})
        page.locator(".translation-badges a[lang=nl]").click()
        page.get_by_role("button", name="Translate into Dutch").click()
        page.get_by_role("button", name="Put the translation in the fields").click()
        expect(page.locator("#block-4-body")).to_have_value("Vers brood.")
        shot(page, "translation-in-the-fields")
        page.get_by_role("button", name="Save translation").click()
        expect(page.get_by_text("The Dutch translation is saved.")).to_be_visible()
        page.get_by_role("link", name="← Back to the page").click()
        page.get_by_text("History").click()
        expect(page.get_by_text("Dutch translation saved written with the assistant")).to_be_visible()

        page.goto(f"{site_owner.site}/")
        expect(page.get_by_text(edited)).to_be_visible()
        shot(page, "site-with-the-text")
    finally:
        for name in ("AI_API_BASE", "AI_API_KEY", "AI_MODEL"):
            live.config.pop(name, None)
        ai.stop()
