"""The portal's content screens in Dutch (issue 14): a Dutch owner reads the dashboard, pages,
the page editor, the blog, the webshop and the media library in Dutch, with Dutch money and
dates, and refusals from the rules below the web layer in Dutch too."""

import html
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from db.models import MediaFile, Page, Product

import factories
from support import csrf_token, png


def text(response) -> str:
    """The page as a person reads it: no tags, entities decoded, white space collapsed."""
    words = re.sub(r"<[^>]*>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


@pytest.fixture
def dutch(app, db_session, client, sign_in):
    """A Dutch owner of a Professional tenant (blog and webshop), signed in, with the
    storefront's language cookie set to Dutch as well."""
    tenant = factories.tenant(app, db_session, plan="professional", language="nl")
    sign_in(tenant.owner_email)
    client.set_cookie("lang", "nl")
    client.tenant = tenant
    token = csrf_token(client, "/portal/pages/new")

    def post(url, follow=False, **data):
        return client.post(url, data={"csrf_token": token, **data}, follow_redirects=follow)

    client.post_form = post
    return client


def test_dashboard_is_dutch(dutch):
    page = text(dutch.get("/portal/"))
    assert "Aan de slag" in page and "Gebruik" in page and "Volgende factuur" in page
    assert "Pagina's" in page and "Instellingen" in page  # the navigation
    assert "Getting started" not in page and "Next invoice" not in page and "Usage" not in page


def test_page_list_and_editor_are_dutch(dutch, db_session):
    listing = text(dutch.get("/portal/pages"))
    assert "Nieuwe pagina" in listing and "Gepubliceerd" in listing and "Titel" in listing
    assert "New page" not in listing and "Published" not in listing

    response = dutch.post_form("/portal/pages/new", title="Openingstijden", slug="")
    assert response.status_code == 303
    flashed = text(dutch.get(response.headers["Location"]))
    assert "Pagina “Openingstijden” is aangemaakt als concept." in flashed
    assert "Blok toevoegen" in flashed and "Zoeken en delen" in flashed
    assert "Veelgestelde vragen" in flashed  # the block types by their Dutch names

    page = db_session.scalar(select(Page).where(Page.tenant_id == dutch.tenant.id,
                                                Page.slug == "openingstijden"))
    added = dutch.post_form(f"/portal/pages/{page.id}/blocks", type="faq")
    editor = text(dutch.get(added.headers["Location"]))
    assert "Blok Veelgestelde vragen" in editor  # the heading of the block's form
    assert "Kop" in editor and "Vraag" in editor and "Antwoord" in editor and "Onderdeel 1" in editor
    assert "Blok opslaan" in editor and "Annuleren" in editor
    assert "Heading" not in editor and "Question" not in editor and "Save block" not in editor


def test_a_refusal_from_the_rules_is_flashed_and_shown_in_dutch(dutch, db_session):
    page = db_session.scalar(select(Page).where(Page.tenant_id == dutch.tenant.id).limit(1))
    # A form field's refusal, raised by tenants/pages.py and shown beside the field.
    response = dutch.post_form(f"/portal/pages/{page.id}", title=page.title, slug="shop")
    assert response.status_code == 422
    assert "'/shop' is gereserveerd voor de webshop van de site." in text(response)
    # A refusal without a field, flashed: a block that could not be saved.
    dutch.post_form(f"/portal/pages/{page.id}/blocks", type="faq")
    db_session.expire_all()
    index = len(db_session.get(Page, page.id).blocks) - 1
    response = dutch.post_form(f"/portal/pages/{page.id}/blocks/{index}", heading="Vragen",
                               **{"items-7-answer": "Ja."})
    assert response.status_code == 422
    assert "Bij onderdeel 1 ontbreekt het tekstveld 'question'." in text(response)


def test_post_form_and_list_are_dutch(dutch):
    form = text(dutch.get("/portal/posts/new"))
    assert "Nieuw bericht" in form and "Omslagafbeelding" in form and "Nu publiceren" in form
    assert "Opslaan als concept" in form and "Bericht opslaan" in form
    assert "Opmaak: **vet**" in form  # the Markdown hint, marked below web/
    assert "Cover image" not in form and "Save post" not in form

    refused = dutch.post_form("/portal/posts/new", title="", body="Hallo")
    assert refused.status_code == 422 and "Geef het bericht een titel." in text(refused)

    saved = dutch.post_form("/portal/posts/new", follow=True, title="Zomer", slug="", body="Hallo",
                            publish="schedule", publish_at="2099-03-03T09:00")
    listing = text(saved)
    assert "Bericht “Zomer” is opgeslagen." in listing
    # a Dutch date, in the site's time zone
    assert "Ingepland voor 3 maart 2099, 09:00 (Europe/Amsterdam)" in listing


def test_product_list_shows_dutch_money(dutch, db_session):
    db_session.add(Product(tenant_id=dutch.tenant.id, slug="mok", name="Blauwe mok",
                           price_cents=1250, stock=0, images=[]))
    db_session.commit()
    listing = text(dutch.get("/portal/products"))
    assert "€ 12,50" in listing and "Uitverkocht" in listing and "Nieuw product" in listing
    assert "Prijs" in listing and "In de webshop" in listing
    assert "Sold out" not in listing and "New product" not in listing

    form = text(dutch.get("/portal/products/new"))
    assert "Prijs in euro's" in form and "Voorraad" in form and "Product opslaan" in form
    refused = dutch.post_form("/portal/products/new", name="Mok", price="abc", stock="")
    assert refused.status_code == 422 and "Vul de prijs in euro's in, bijvoorbeeld 19,90." in text(refused)


def test_media_page_is_dutch_with_dutch_dates(dutch, db_session):
    upload = dutch.post("/portal/media/upload", data={
        "csrf_token": csrf_token(dutch, "/portal/media"),
        "file": (io.BytesIO(png()), "logo.png")}, content_type="multipart/form-data")
    assert upload.status_code == 303
    row = db_session.scalar(select(MediaFile).where(MediaFile.tenant_id == dutch.tenant.id))
    row.created_at = datetime(2027, 1, 2, 12, 0, tzinfo=UTC)
    db_session.commit()
    page = text(dutch.get("/portal/media"))
    assert "“logo.png” is geüpload" in page  # the flash
    assert "Opslag:" in page and "Uploaden" in page and "PNG-afbeelding" in page
    assert "2 jan 2027" in page  # the upload date, in Dutch
    assert "Uploaded" not in page and "Storage:" not in page and "PNG image" not in page

    refused = dutch.post("/portal/media/upload", data={
        "csrf_token": csrf_token(dutch, "/portal/media"),
        "file": (io.BytesIO(b"MZ" + b"\x00" * 60), "setup.exe")},
        content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "Je kunt alleen PNG-, JPEG-, GIF-, WebP- en PDF-bestanden uploaden." in text(refused)


def test_a_flashed_limit_refusal_is_dutch(app, db_session, client, sign_in):
    """The Starter plan allows 10 pages: the eleventh is refused with a Dutch flash."""
    tenant = factories.tenant(app, db_session, language="nl")
    sign_in(tenant.owner_email)
    client.set_cookie("lang", "nl")
    token = csrf_token(client, "/portal/pages/new")
    existing = len(db_session.scalars(select(Page).where(Page.tenant_id == tenant.id)).all())
    for number in range(existing, 10):
        client.post("/portal/pages/new", data={"csrf_token": token, "title": f"Pagina {number}"})
    refused = client.post("/portal/pages/new", data={"csrf_token": token, "title": "Te veel"},
                          headers={"Referer": "http://localhost/portal/pages/new"},
                          follow_redirects=True)
    assert ("Je hebt de limiet van je abonnement bereikt: 10 pagina's. Er is niets aangemaakt."
            in text(refused))


def test_english_owners_still_read_english(owner_client):
    page = text(owner_client.get("/portal/pages"))
    assert "New page" in page and "Nieuwe pagina" not in page



def test_upgrade_page_is_dutch(app, db_session, client, sign_in):
    tenant = factories.tenant(app, db_session, language="nl")  # Starter: no webshop
    sign_in(tenant.owner_email)
    client.set_cookie("lang", "nl")
    response = client.get("/portal/products")
    page = text(response)
    assert response.status_code == 403
    assert "zit niet in je abonnement" in page and "Kies een groter abonnement" in page
    assert "is not part of your plan" not in page


def test_a_preview_shows_the_sites_own_words_whatever_the_portals_language(app, db_session,
                                                                           client, sign_in):
    """An English-speaking owner of a Dutch site previews it as its visitors will read it."""
    tenant = factories.tenant(app, db_session, plan="professional", language="nl")
    sign_in(tenant.owner_email)
    client.get("/language/en")  # the owner's own language: English
    assert "Pages" in text(client.get("/portal/pages"))
    page = db_session.scalar(select(Page).where(Page.tenant_id == tenant.id,
                                                Page.slug == "contact"))
    preview = client.get(f"/portal/pages/{page.id}/preview")
    shown = preview.get_data(as_text=True)
    assert preview.status_code == 200 and '<html lang="nl">' in shown
    words = text(preview)
    assert "Naar de inhoud" in words and "Naam" in words and "Skip to content" not in words


def test_a_time_skipped_by_the_clock_change_is_refused_in_dutch_words(dutch):
    response = dutch.post_form("/portal/posts/new", title="Lente", publish="schedule",
                               publish_at="2027-03-28T02:30")
    assert response.status_code == 422
    assert "28 maart 2027, 02:30" in text(response) and "March" not in text(response)
