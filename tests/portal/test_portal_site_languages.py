"""The site's languages in the portal: the owner picks them among nl, en, de and fr and a
default; more than one is Enterprise's ``multi_language`` (403 with the upgrade path), a code
outside the list is refused, editors only look, and a new default keeps every text in its
language."""

import html
import re

import pytest
from sqlalchemy import select

from db.models import Page, PageTranslation, Post, Product, Tenant, User
from tenants import translations
from worker.services import services

import factories
from support import csrf_token


def text(response) -> str:
    words = re.sub(r"<[^>]*>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def dutch_site(app, db_session, plan="enterprise"):
    """A tenant whose site is Dutch, run by an owner who reads the portal in English."""
    tenant = factories.tenant(app, db_session, plan=plan, language="nl")
    owner = db_session.scalar(select(User).where(User.tenant_id == tenant.id))
    owner.language = "en"
    db_session.commit()
    return tenant


@pytest.fixture
def owner(app, db_session, client, sign_in, mails):
    def make(plan="enterprise"):
        tenant = dutch_site(app, db_session, plan)
        sign_in(tenant.owner_email)
        client.tenant = tenant
        return client
    return make


def save(client, languages, default):
    token = csrf_token(client, "/portal/languages")
    return client.post("/portal/languages", data={"csrf_token": token, "languages": languages,
                                                  "language": default})


def stored(db_session, tenant) -> tuple[str, list[str]]:
    db_session.expire_all()
    row = db_session.get(Tenant, tenant.id)
    return row.language, list(row.languages)


def test_an_enterprise_owner_adds_english_to_a_dutch_site(owner, db_session):
    client = owner()
    page = client.get("/portal/languages")
    assert page.status_code == 200
    assert "Your site is in Dutch. Its default language is Dutch." in text(page)

    response = save(client, ["nl", "en"], "nl")
    assert response.status_code == 303
    assert stored(db_session, client.tenant) == ("nl", ["nl", "en"])
    after = text(client.get("/portal/languages"))
    assert "Your site's languages are now: Dutch, English." in after
    assert "Your site is in Dutch, English. Its default language is Dutch." in after
    # The portal's translations page now offers English for every page.
    overview = text(client.get("/portal/translations"))
    assert "EN: not yet translated" in overview


def test_a_language_outside_the_list_is_refused(owner, db_session):
    client = owner()
    response = save(client, ["nl", "xx"], "nl")
    assert response.status_code == 422
    assert "Your site cannot be in “xx”. Choose from: nl, en, de, fr." in text(response)
    assert stored(db_session, client.tenant) == ("nl", ["nl"])


def test_the_default_must_be_one_of_the_sites_languages(owner, db_session):
    client = owner()
    response = save(client, ["nl", "en"], "de")
    assert response.status_code == 422
    assert "The default language must be one of your site's languages." in text(response)
    response = save(client, [], "nl")
    assert response.status_code == 422
    assert "Choose at least one language for your site." in text(response)
    assert stored(db_session, client.tenant) == ("nl", ["nl"])


def test_a_professional_tenant_cannot_add_a_second_language(owner, db_session):
    client = owner(plan="professional")
    page = text(client.get("/portal/languages"))
    assert "A site in more than one language is part of the Enterprise plan." in page
    response = save(client, ["nl", "en"], "nl")
    assert response.status_code == 403
    body = text(response)
    assert "Multi-language sites is not part of your plan" in body
    assert "Enterprise" in body and "Upgrade to Enterprise" in body
    assert stored(db_session, client.tenant) == ("nl", ["nl"])
    # One language is every plan's: a Professional site may switch to English.
    assert save(client, ["en"], "en").status_code == 303
    assert stored(db_session, client.tenant) == ("en", ["en"])


def test_editors_see_the_languages_but_cannot_change_them(app, db_session, client, sign_in, mails):
    tenant = dutch_site(app, db_session)
    editor = factories.user(db_session, tenant, role="editor")
    editor.language = "en"
    db_session.commit()
    sign_in(editor.email)
    page = client.get("/portal/languages")
    assert page.status_code == 200
    assert "Only owners and admins can change the site's languages." in text(page)
    assert "Save languages" not in text(page)
    response = client.post("/portal/languages", data={
        "csrf_token": csrf_token(client, "/portal/languages"), "languages": ["nl", "en"],
        "language": "nl"})
    assert response.status_code == 403 and "Not allowed" in text(response)
    assert stored(db_session, tenant) == ("nl", ["nl"])


def test_a_new_default_keeps_every_text_in_its_language(owner, db_session, app):
    client = owner()
    tenant = client.tenant
    assert save(client, ["nl", "en"], "nl").status_code == 303
    pages = db_session.scalars(select(Page).where(Page.tenant_id == tenant.id)
                               .order_by(Page.id)).all()
    translated, untranslated = pages[0], pages[1]
    dutch_title, other_title = translated.title, untranslated.title
    db_session.expire_all()
    fresh = db_session.get(Tenant, tenant.id)
    translations.save_page_translation(
        db_session, services(app).catalog, fresh, translated, "en", "Welcome",
        [{} for _ in translated.blocks])
    db_session.commit()

    response = save(client, ["nl", "en"], "en")
    assert response.status_code == 303
    flashed = text(client.get("/portal/languages"))
    assert "English is now your site's default language. Every text kept its language." in flashed
    items = sum(len(db_session.scalars(select(model.id).where(model.tenant_id == tenant.id)).all())
                for model in (Page, Post, Product))
    assert (f"{items - 1} items had no English text yet: they show their Dutch text until "
            "you edit them.") in flashed
    assert stored(db_session, tenant) == ("en", ["nl", "en"])
    db_session.expire_all()
    assert db_session.get(Page, translated.id).title == "Welcome"
    dutch = {row.page_id: row for row in db_session.scalars(
        select(PageTranslation).where(PageTranslation.tenant_id == tenant.id))}
    assert dutch[translated.id].language == "nl" and dutch[translated.id].title == dutch_title
    # A page without English keeps its Dutch text, and it is also kept as the Dutch translation.
    assert db_session.get(Page, untranslated.id).title == other_title
    assert dutch[untranslated.id].title == other_title


def test_removing_a_language_keeps_its_translations(owner, db_session, app):
    client = owner()
    tenant = client.tenant
    assert save(client, ["nl", "en"], "nl").status_code == 303
    page = db_session.scalar(select(Page).where(Page.tenant_id == tenant.id).order_by(Page.id))
    db_session.expire_all()
    translations.save_page_translation(db_session, services(app).catalog,
                                       db_session.get(Tenant, tenant.id), page, "en", "Welcome",
                                       [{} for _ in page.blocks])
    db_session.commit()
    assert save(client, ["nl"], "nl").status_code == 303
    assert client.get(f"/portal/pages/{page.id}/translations/en").status_code == 404
    assert save(client, ["nl", "en"], "nl").status_code == 303
    again = client.get(f"/portal/pages/{page.id}/translations/en")
    assert again.status_code == 200 and 'value="Welcome"' in again.get_data(as_text=True)
