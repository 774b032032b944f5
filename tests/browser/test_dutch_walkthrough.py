"""A Dutch visitor's whole start in a real browser (headless Chromium driven by Playwright), on a
storefront whose default language is Dutch: the pricing page (after the language switch, as
the browser itself asks for English), the signup form, the local Stripe's hosted Checkout, the
onboarding page, the portal's dashboard and the new site's home page. No page may show an
English word of the app's own (the English msgids, beyond brand names), the site is seeded in
Dutch, and the welcome mail arrives in Dutch.

The English words are the words of the catalog's msgids that no Dutch translation uses; the
Dutch the test clicks and looks for comes from the same catalog, so it follows the wording.
Each page leaves a screenshot in ``test-results/browser/dutch-walkthrough/NN-step.png``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from babel.support import Translations
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.languages import TRANSLATIONS
from db.models import Invoice, Signup, Subscription, Tenant
from db.models import Page as SitePage
from worker.services import services

import support
from support import purge

SUBDOMAIN = "bakkerij-oranje"
COMPANY = "Bakkerij Oranje"
EMAIL = "eigenaar@bakkerij-oranje.example"
PASSWORD = "elke ochtend vers brood uit de oven"
RESULTS = Path(__file__).resolve().parents[2] / "test-results" / "browser" / "dutch-walkthrough"
DUTCH_PO = TRANSLATIONS / "nl" / "LC_MESSAGES" / "messages.po"

# Words of an English msgid that Dutch uses as they are: brands, plan names, the languages'
# own names, loanwords a Dutch page may show.
ALLOWED = frozenset({
    "contyzr", "stripe", "nederlands", "english", "starter", "professional", "enterprise",
    "contact", "home", "plan", "portal", "template", "team", "online", "admin", "editor",
    "status", "data", "design", "logo", "media", "sans", "serif", "service",
})

SET_VISIBILITY = """state => {
    Object.defineProperty(document, "visibilityState", {configurable: true, get: () => state});
    document.dispatchEvent(new Event("visibilitychange"));
}"""

expect.set_options(timeout=15_000)


def words(text: str) -> list[str]:
    """The words of a text, lower case, without placeholders, markup or entities."""
    text = re.sub(r"%\(\w+\)[sd]|<[^>]+>|\{\w+\}|&\w+;", " ", text)
    return [word.lower() for word in re.findall(r"[A-Za-zÀ-ÿ]+", text)]


@cache
def english_words() -> frozenset[str]:
    """Words (three letters or more) of the app's English msgids that no Dutch msgstr uses."""
    with open(DUTCH_PO, "rb") as po:
        catalog = read_po(po)
    english, dutch = set(), set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        english.update(word for msgid in ids for word in words(msgid))
        dutch.update(word for msgstr in strings for word in words(msgstr or ""))
    return frozenset(word for word in english - dutch - ALLOWED if len(word) >= 3)


@cache
def _translations() -> Translations:
    return Translations.load(str(TRANSLATIONS), ["nl"])


def nl(msgid: str, **values) -> str:
    """The Dutch the app shows for ``msgid`` (the English where it has none yet)."""
    text = _translations().gettext(msgid)
    return text % values if values else text


def english_in(text: str, own: tuple[str, ...] = (COMPANY, SUBDOMAIN, EMAIL)) -> list[str]:
    """The app's English words in a text, after leaving out this walk's own data."""
    for value in own:
        text = text.replace(value, " ")
    text = re.sub(r"https?://\S+|\S+@\S+", " ", text)
    return sorted({word for word in words(text) if word in english_words()})


def english_lines(text: str) -> list[str]:
    """The lines of a text that hold English words, each with those words."""
    return [f"{line.strip()[:90]!r} ({', '.join(found)})" for line in text.splitlines()
            if (found := english_in(line))]


def test_the_english_word_list_knows_english_from_dutch():
    found = english_in("Je site is live. Choose your plan and continue to payment.")
    assert {"choose", "your", "continue", "payment"} <= set(found)
    assert english_in("Kies een abonnement, Contyzr Starter, via Stripe. Nederlands") == []
    assert "the" in english_words() and "and" in english_words()
    assert not {"contyzr", "stripe", "site", "webshop"} & english_words()


class Walk:
    """Numbered screenshots, and the English words each page still shows."""

    def __init__(self, page: Page):
        self.page, self.number, self.english = page, 0, {}
        shutil.rmtree(RESULTS, ignore_errors=True)
        RESULTS.mkdir(parents=True)

    def shot(self, name: str) -> None:
        self.number += 1
        self.page.screenshot(path=RESULTS / f"{self.number:02d}-{name}.png", full_page=True)

    def check(self, name: str) -> None:
        """Screenshot, then note the English words in the page's visible text and title."""
        self.shot(name)
        assert self.page.locator("html").get_attribute("lang") == "nl", name
        visible = self.page.title() + "\n" + self.page.inner_text("body")
        found = english_lines(visible)
        if found:
            self.english[f"{self.number:02d}-{name}"] = found


def test_dutch_walkthrough_from_pricing_to_the_portal(chromium_page, storefront, stripe_fake,
                                                      mails):
    live, page = storefront, chromium_page
    live.config["DEFAULT_LANGUAGE"] = "nl"  # as in production
    base = live.config["PUBLIC_URL"]
    site_url = f"http://{SUBDOMAIN}.localhost:{live.config['PORT']}/"
    engine = services(live).database.engine
    walk = Walk(page)

    def signup_status() -> str | None:
        with Session(engine) as session:
            return session.scalar(select(Signup.status).where(Signup.subdomain == SUBDOMAIN))

    def run_workers_until(done: Callable[[], bool], what: str, timeout: float = 45) -> None:
        support.run_workers_until(live, stripe_fake, done, what, timeout)

    try:
        # Pricing: this browser asks for English (en-GB); the visitor switches to Dutch.
        page.goto(f"{base}/pricing")
        page.get_by_role("link", name="Nederlands").click()
        expect(page.locator("html")).to_have_attribute("lang", "nl")
        expect(page.get_by_role("heading",
                                name=nl("Your website or webshop, live in a minute"))).to_be_visible()
        walk.check("pricing")
        page.get_by_role("link", name=nl("Choose %(plan)s", plan="Starter")).click()

        # The signup form: the site's language is the visitor's, Dutch, unless changed.
        expect(page.get_by_role("heading", name=nl("Start with %(plan)s", plan="Starter"))
               ).to_be_visible()
        expect(page.locator('input[name="site_language"][value="nl"]')).to_be_checked()
        page.get_by_label(nl("Company name")).fill(COMPANY)
        page.get_by_label(nl("Site address")).fill(SUBDOMAIN)
        page.get_by_label(nl("Your email")).fill(EMAIL)
        page.get_by_label(nl("Password"), exact=True).fill(PASSWORD)
        page.locator('input[name="template"][value="corporate"]').check()
        page.locator('input[name="terms"]').check()
        walk.check("signup")
        page.get_by_role("button", name=nl("Continue to payment")).click()

        # The local Stripe's hosted Checkout (Stripe's page, not the app's: not checked): the
        # Dutch visitor pays with iDEAL, after a billing address (Stripe Tax adds 21% btw).
        expect(page.get_by_role("heading", name="Subscribe to Contyzr Starter")).to_be_visible()
        page.locator("#method-ideal").check()
        page.locator("#ideal_bank").select_option("rabobank")
        page.locator("#name").fill("Sanne de Vries")
        page.locator("#line1").fill("Keizersgracht 1")
        page.locator("#postal_code").fill("1015 CJ")
        page.locator("#city").fill("Amsterdam")
        expect(page.locator("#country")).to_have_value("NL")
        walk.shot("checkout")
        page.get_by_role("button", name="Subscribe").click()

        # Onboarding, while the site is made and once it is live (the tab in the background,
        # so the page waits to forward into the portal until it is seen).
        page.wait_for_url(re.compile(re.escape(base) + r"/onboarding/"))
        expect(page.get_by_role("heading", name=COMPANY)).to_be_visible()
        walk.check("onboarding-progress")
        page.evaluate(SET_VISIBILITY, "hidden")
        run_workers_until(lambda: signup_status() == "ready", "the site to be live")
        expect(page.get_by_text(nl("Your site is live."))).to_be_visible()
        walk.check("onboarding-ready")
        page.evaluate(SET_VISIBILITY, "visible")

        # The portal's dashboard, in the owner's language: the one the signup was made in.
        page.wait_for_url(f"{base}/portal/")
        expect(page.get_by_role("heading", name=COMPANY)).to_be_visible()
        walk.check("portal-dashboard")

        # Billing: the invoice with its 21% btw, the address, and the SEPA Direct Debit that
        # iDEAL set up for the renewals.
        page.goto(f"{base}/portal/billing")
        expect(page.get_by_text("€ 6,09 (21%)")).to_be_visible()
        expect(page.get_by_text("Keizersgracht 1")).to_be_visible()
        expect(page.get_by_text(re.compile(r"Betaalmethode: SEPA-incasso"))).to_be_visible()
        walk.check("portal-billing")

        # The new site: Dutch starter pages at Dutch addresses.
        with Session(engine) as session:
            tenant = session.scalar(select(Tenant).where(Tenant.subdomain == SUBDOMAIN))
            assert tenant.language == "nl"
            slugs = session.scalars(select(SitePage.slug).where(SitePage.tenant_id == tenant.id)
                                    .order_by(SitePage.position)).all()
        assert slugs == ["home", "over-ons", "diensten", "contact"]
        page.goto(site_url)
        expect(page.get_by_text(f"In één zin: wat {COMPANY} aanbiedt en voor wie.")).to_be_visible()
        expect(page.get_by_role("link", name="Over ons").first).to_have_attribute(
            "href", re.compile(r"/over-ons$"))
        walk.check("site-home")

        # The welcome mail, in Dutch.
        welcome = [mail for mail in mails.emails if mail["body"]["to"] == [EMAIL]]
        assert len(welcome) == 1, mails.emails
        mail = welcome[0]["body"]
        subject = "Welcome to Contyzr: the site for %(company)s is live"
        assert nl(subject) != subject, "the welcome mail's subject has no Dutch translation"
        assert mail["subject"] == nl(subject, company=COMPANY)
        html_text = re.sub(r"<(style|head)\b.*?</\1>|<[^>]+>", "\n", mail["html"], flags=re.S)
        for part, text in (("subject", mail["subject"]), ("text", mail["text"]),
                           ("html", html_text)):
            found = english_lines(text)
            if found:
                walk.english[f"welcome-mail-{part}"] = found

        assert walk.english == {}, "English still shown:\n" + "\n".join(
            f"{name}: {line}" for name, lines in walk.english.items() for line in lines)
    except BaseException:
        try:
            walk.shot("failed")
        except Exception:  # noqa: S110  (the page may be gone; the original error matters)
            pass
        raise
    finally:
        with Session(engine) as session:
            signup = session.scalar(select(Signup).where(Signup.subdomain == SUBDOMAIN))
            customer_id = signup.stripe_customer_id if signup else None
        purge(engine, [SUBDOMAIN])
        if customer_id:
            with Session(engine) as session:
                session.execute(delete(Invoice).where(Invoice.customer_id == customer_id))
                session.execute(delete(Subscription).where(Subscription.customer_id == customer_id))
                session.commit()
