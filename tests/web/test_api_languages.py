"""The API in the site's languages: ``?lang=`` returns pages and products in that language,
each marking what falls back to the default language; an unknown or not offered language (or
a site without ``multi_language``) gets the default language, never an error."""

from sqlalchemy import select

from db.models import Page, Product, Tenant
from tenants import translations
from tenants.api_keys import create_key
from worker.services import services

import factories


def bilingual_site(app, db_session, plan="enterprise"):
    """A Dutch Enterprise site that also speaks English, its first page and product translated."""
    tenant = factories.tenant(app, db_session, plan=plan, language="nl")
    tenant.languages = ["nl", "en"]
    db_session.commit()
    page = db_session.scalar(select(Page).where(Page.tenant_id == tenant.id).order_by(Page.id))
    product = db_session.scalar(select(Product).where(Product.tenant_id == tenant.id)
                                .order_by(Product.id))
    catalog = services(app).catalog
    translations.save_page_translation(
        db_session, catalog, tenant, page, "en", "Welcome",
        [{"heading": f"English heading {n}"} for n in range(len(page.blocks))])
    translations.save_product_translation(db_session, catalog, tenant, product, "en",
                                          "English mug", "An English description.")
    _row, key = create_key(db_session, tenant.id, "Test")
    db_session.commit()
    return tenant, page, product, key


def api(client, key, path):
    response = client.get(path, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def by_id(items, row_id):
    return next(item for item in items if item["id"] == row_id)


def test_pages_come_in_english_with_the_fallback_marked(app, client, db_session, redis):
    tenant, page, _product, key = bilingual_site(app, db_session)
    dutch_title = {row.id: row.title for row in db_session.scalars(
        select(Page).where(Page.tenant_id == tenant.id))}
    answer = api(client, key, "/api/v1/pages?lang=en")
    assert answer["language"] == "en" and answer["languages"] == ["nl", "en"]
    welcome = by_id(answer["data"], page.id)
    assert welcome["title"] == "Welcome" and welcome["language"] == "en"
    assert welcome["fallback"] is False
    headings = [block["data"].get("heading") for block in welcome["blocks"]
                if "heading" in block["data"]]
    assert headings and all(heading.startswith("English heading") for heading in headings)
    other = next(item for item in answer["data"] if item["id"] != page.id)
    assert other["title"] == dutch_title[other["id"]]  # not yet translated: the Dutch
    assert other["fallback"] is True and "title" in other["missing"]

    one = api(client, key, f"/api/v1/pages/{page.id}?lang=en")
    assert one["data"]["title"] == "Welcome" and one["language"] == "en"


def test_an_unknown_or_not_offered_language_gets_the_default(app, client, db_session, redis):
    _tenant, page, _product, key = bilingual_site(app, db_session)
    dutch = db_session.get(Page, page.id).title
    for asked in ("xx", "de", "", "EN", "nl-NL"):
        answer = api(client, key, f"/api/v1/pages/{page.id}?lang={asked}")
        assert answer["language"] == "nl"
        assert answer["data"]["title"] == dutch and answer["data"]["language"] == "nl"
        assert answer["data"]["fallback"] is False and answer["data"]["missing"] == []
    plain = api(client, key, f"/api/v1/pages/{page.id}")
    assert plain["data"]["title"] == dutch and plain["language"] == "nl"


def test_products_come_in_english(app, client, db_session, redis):
    _tenant, _page, product, key = bilingual_site(app, db_session)
    answer = api(client, key, "/api/v1/products?lang=en")
    mug = by_id(answer["data"], product.id)
    assert mug["name"] == "English mug" and mug["description"] == "An English description."
    assert mug["fallback"] is False and mug["language"] == "en"
    one = api(client, key, f"/api/v1/products/{product.id}?lang=en")
    assert one["data"]["name"] == "English mug"


def test_after_a_downgrade_the_api_serves_the_default_language(app, client, db_session, redis):
    tenant, page, _product, key = bilingual_site(app, db_session)
    db_session.get(Tenant, tenant.id).plan_id = "professional"
    db_session.commit()
    answer = api(client, key, f"/api/v1/pages/{page.id}?lang=en")
    assert answer["language"] == "nl" and answer["languages"] == ["nl"]
    assert answer["data"]["title"] == db_session.get(Page, page.id).title != "Welcome"


def test_a_block_added_after_the_translation_falls_back(app, client, db_session, redis):
    _tenant, page, _product, key = bilingual_site(app, db_session)
    row = db_session.get(Page, page.id)
    row.blocks = [*row.blocks, {"type": "text", "data": {"heading": "Nieuw blok", "body": "Hallo."}}]
    db_session.commit()
    answer = api(client, key, f"/api/v1/pages/{page.id}?lang=en")["data"]
    assert answer["title"] == "Welcome"
    assert answer["fallback"] is True and "blocks" in answer["missing"]
    assert answer["blocks"][-1]["data"]["heading"] == "Nieuw blok"  # the Dutch, for now
    assert answer["blocks"][0]["data"]["heading"] == "English heading 0"
