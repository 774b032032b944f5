"""Translating pages, posts and products side by side in the portal (Enterprise's
``multi_language``): the default language's text beside a field per text, "not yet
translated" marked, only the tenant's own items (404 otherwise), only the site's other
languages, and after a downgrade the translations kept and shown read-only."""

import html
import re

import pytest
from sqlalchemy import select

from db.models import (
    Page,
    PageTranslation,
    Post,
    PostTranslation,
    Product,
    ProductTranslation,
    Tenant,
    User,
)

import factories
from support import csrf_token


def text(response) -> str:
    words = re.sub(r"<[^>]*>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def bilingual(app, db_session, plan="enterprise", languages=("nl", "en")):
    """A Dutch site that also speaks English, with an owner who reads the portal in English."""
    tenant = factories.tenant(app, db_session, plan=plan, language="nl")
    tenant.languages = list(languages)
    owner = db_session.scalar(select(User).where(User.tenant_id == tenant.id))
    owner.language = "en"
    db_session.commit()
    return tenant


@pytest.fixture
def owner(app, db_session, client, sign_in, mails):
    tenant = bilingual(app, db_session)
    sign_in(tenant.owner_email)
    client.tenant = tenant
    return client


def post_form(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/portal/languages"), **data})


def hero_page(db_session, tenant) -> Page:
    page = Page(tenant_id=tenant.id, slug="wie-wij-zijn", title="Wie wij zijn", published=True,
                position=50, blocks=[
                    {"type": "hero", "data": {"heading": "Welkom bij ons", "subheading": "Sinds 1999",
                                              "button_label": "Schrijf ons",
                                              "button_link": "/contact"}},
                    {"type": "faq", "data": {"heading": "Vragen", "items": [
                        {"question": "Wanneer open?", "answer": "Elke dag."}]}}])
    db_session.add(page)
    db_session.commit()
    return page


def translation(db_session, model, column, item_id, language="en"):
    db_session.expire_all()
    return db_session.scalar(select(model).where(getattr(model, column) == item_id,
                                                 model.language == language))


def test_the_owner_translates_a_page_side_by_side(owner, db_session):
    page = hero_page(db_session, owner.tenant)
    url = f"/portal/pages/{page.id}/translations/en"
    editor = owner.get(url)
    shown = text(editor)
    assert editor.status_code == 200
    assert "Wie wij zijn in English" in shown
    assert "Not yet translated" in shown  # no English yet
    assert "Welkom bij ons" in shown and "Wanneer open?" in shown  # the Dutch beside the fields
    # The page list marks the missing translation.
    assert "EN: not yet translated" in text(owner.get("/portal/pages"))

    response = post_form(owner, url, title="About us", **{
        "block-0-heading": "Welcome", "block-0-subheading": "Since 1999",
        "block-0-button_label": "Write to us", "block-1-heading": "Questions",
        "block-1-item-0-question": "When are you open?", "block-1-item-0-answer": "Every day."})
    assert response.status_code == 303
    row = translation(db_session, PageTranslation, "page_id", page.id)
    assert row.title == "About us"
    assert row.blocks[0] == {"type": "hero", "data": {
        "heading": "Welcome", "subheading": "Since 1999", "button_label": "Write to us",
        "button_link": "/contact"}}  # the link is the page's own
    assert row.blocks[1]["data"]["items"] == [{"question": "When are you open?",
                                                "answer": "Every day."}]
    again = owner.get(url)
    assert "The English translation is saved." in text(again)
    assert 'value="About us"' in again.get_data(as_text=True)
    assert "EN ✓" in text(owner.get(f"/portal/pages/{page.id}"))

    # Deleting it shows the Dutch again: not yet translated.
    assert post_form(owner, url, delete="1").status_code == 303
    assert translation(db_session, PageTranslation, "page_id", page.id) is None
    after = text(owner.get(url))
    assert "The English translation is deleted." in after and "Not yet translated" in after


def test_a_translation_needs_a_title(owner, db_session):
    page = hero_page(db_session, owner.tenant)
    response = post_form(owner, f"/portal/pages/{page.id}/translations/en", title=" ",
                         **{"block-0-heading": "Welcome"})
    assert response.status_code == 422
    assert "Give the page a title in this language." in text(response)
    assert 'value="Welcome"' in response.get_data(as_text=True)  # what was typed stays
    assert translation(db_session, PageTranslation, "page_id", page.id) is None


def test_another_tenants_page_or_none_is_not_found(owner, app, db_session):
    other = bilingual(app, db_session)
    theirs = hero_page(db_session, other)
    for url in (f"/portal/pages/{theirs.id}/translations/en", "/portal/pages/999999/translations/en"):
        assert owner.get(url).status_code == 404
        assert post_form(owner, url, title="Mine now").status_code == 404
    assert translation(db_session, PageTranslation, "page_id", theirs.id) is None


def test_a_language_the_site_does_not_offer_is_not_found(owner, db_session):
    page = hero_page(db_session, owner.tenant)
    for language in ("de", "xx", "nl"):  # not offered, unknown, the default itself
        url = f"/portal/pages/{page.id}/translations/{language}"
        assert owner.get(url).status_code == 404
        assert post_form(owner, url, title="Über uns").status_code == 404
    db_session.expire_all()
    assert db_session.scalars(select(PageTranslation).where(
        PageTranslation.page_id == page.id)).all() == []


def test_posts_and_products_are_translated_too(owner, db_session):
    tenant = owner.tenant
    post = Post(tenant_id=tenant.id, slug="nieuws", title="Nieuws", body="Wij zijn open.")
    product = Product(tenant_id=tenant.id, slug="mok", name="Mok", description="Een mok.",
                      price_cents=1200)
    db_session.add_all([post, product])
    db_session.commit()
    assert "EN: not yet translated" in text(owner.get("/portal/posts"))
    assert "EN: not yet translated" in text(owner.get("/portal/products"))
    editor = text(owner.get(f"/portal/posts/{post.id}/translations/en"))
    assert "Wij zijn open." in editor and "Not yet translated" in editor
    assert post_form(owner, f"/portal/posts/{post.id}/translations/en", title="News",
                     body="We are open.", seo_title="", seo_description="").status_code == 303
    assert post_form(owner, f"/portal/products/{product.id}/translations/en", name="Mug",
                     description="A mug.").status_code == 303
    assert translation(db_session, PostTranslation, "post_id", post.id).body == "We are open."
    assert translation(db_session, ProductTranslation, "product_id", product.id).name == "Mug"
    assert "EN ✓" in text(owner.get(f"/portal/posts/{post.id}"))
    assert "EN ✓" in text(owner.get(f"/portal/products/{product.id}"))


def test_after_a_downgrade_translations_are_kept_and_read_only(owner, db_session):
    page = hero_page(db_session, owner.tenant)
    url = f"/portal/pages/{page.id}/translations/en"
    assert post_form(owner, url, title="About us", **{"block-0-heading": "Welcome"}).status_code == 303
    tenant = db_session.get(Tenant, owner.tenant.id)
    tenant.plan_id = "professional"  # as customer.subscription.updated leaves it
    db_session.commit()

    editor = owner.get(url)
    shown = text(editor)
    assert editor.status_code == 200
    assert 'value="About us"' in editor.get_data(as_text=True)
    assert "shown here read-only" in shown and "Save translation" not in shown
    assert "<fieldset disabled" in editor.get_data(as_text=True)

    refused = post_form(owner, url, title="Changed")
    assert refused.status_code == 403
    assert "Multi-language sites is not part of your plan" in text(refused)
    assert translation(db_session, PageTranslation, "page_id", page.id).title == "About us"


def test_a_dutch_owner_translates_in_dutch(app, db_session, client, sign_in, mails):
    tenant = bilingual(app, db_session)
    owner = db_session.scalar(select(User).where(User.tenant_id == tenant.id))
    owner.language = "nl"
    db_session.commit()
    sign_in(tenant.owner_email)
    page = hero_page(db_session, tenant)
    shown = text(client.get(f"/portal/pages/{page.id}/translations/en"))
    assert "Wie wij zijn in het Engels" in shown
    assert "Nog niet vertaald" in shown and "Vertaling opslaan" in shown
    assert "EN: nog niet vertaald" in text(client.get("/portal/pages"))
    languages = text(client.get("/portal/languages"))
    assert "Je site is in het Nederlands, Engels. De standaardtaal is Nederlands." in languages
