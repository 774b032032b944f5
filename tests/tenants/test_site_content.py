"""The site templates' starter content loads in Dutch and English, each language the same shape,
and bad content is refused with a clear reason."""

import json

import pytest

from db.models.content import BLOCK_TYPES
from plans.catalog import default_catalog
from tenants.site_content import (
    BLOCK_FIELDS,
    STARTER_LANGUAGES,
    TEMPLATE_IDS,
    SiteTemplateError,
    load_site_template,
    parse_site_template,
    personalise,
    slug_problem,
    template_path,
    validate_blocks,
)

SHOP_TEMPLATES = ("ecommerce", "b2b")
# What each language's starter text says to ask for its replacement, and its example products.
REPLACE_ME = {"en": "Replace this", "nl": "Vervang d"}
EXAMPLE_PRODUCT = {"en": "Example product", "nl": "Voorbeeldproduct"}
FAQ_SLUG = {"en": "faq", "nl": "veelgestelde-vragen"}
EVERY = [(template_id, language) for template_id in TEMPLATE_IDS for language in STARTER_LANGUAGES]


def raw_template(template_id, language="en"):
    return json.loads(template_path(template_id, language).read_text(encoding="utf-8"))


def test_block_fields_cover_exactly_the_stored_block_types():
    assert set(BLOCK_FIELDS) == set(BLOCK_TYPES)


def test_templates_match_the_plan_catalog():
    catalog_templates = default_catalog().templates
    assert set(TEMPLATE_IDS) == set(catalog_templates)
    for template_id, language in EVERY:
        assert load_site_template(template_id, language).name == catalog_templates[template_id].name


@pytest.mark.parametrize("template_id,language", EVERY)
def test_every_template_loads_with_a_published_home_page(template_id, language):
    content = load_site_template(template_id, language)
    slugs = [page.slug for page in content.pages]
    assert content.id == template_id and content.name and content.language == language
    assert slugs[0] == "home" and 3 <= len(slugs) <= 5
    assert all(page.published and page.in_navigation and page.blocks for page in content.pages)
    assert [page.position for page in content.pages] == list(range(len(slugs)))
    assert content.settings.font in ("serif", "sans")


@pytest.mark.parametrize("template_id", SHOP_TEMPLATES)
@pytest.mark.parametrize("language", STARTER_LANGUAGES)
def test_shop_templates_have_products_and_show_them(template_id, language):
    content = load_site_template(template_id, language)
    assert 4 <= len(content.products) <= 6
    # examples to replace: a round price, stock not tracked
    assert all(product.price_cents > 0 and product.stock is None for product in content.products)
    assert all(product.name.startswith(EXAMPLE_PRODUCT[language]) for product in content.products)
    assert FAQ_SLUG[language] in [page.slug for page in content.pages]
    block_types = [block.type for page in content.pages for block in page.blocks]
    assert "products" in block_types


@pytest.mark.parametrize("template_id", ("corporate", "portfolio", "blog"))
@pytest.mark.parametrize("language", STARTER_LANGUAGES)
def test_site_templates_have_no_products(template_id, language):
    assert load_site_template(template_id, language).products == ()


def test_rows_are_personalised_and_ready_for_the_models():
    content = load_site_template("ecommerce")
    page = content.pages[0].as_row("Acme & Co")
    assert set(page) == {"slug", "title", "position", "in_navigation", "published", "blocks"}
    assert page["blocks"][0]["type"] == "hero"
    assert "Acme & Co" in json.dumps(page["blocks"])
    assert "{company}" not in json.dumps([p.as_row("Acme") for p in content.pages])
    example = content.products[0].as_row("Acme")
    assert "Acme sells" in example["description"] and example["images"] == []
    assert example["stock"] is None
    assert content.settings.as_dict("Acme")["primary_color"].startswith("#")
    # the cached template itself is not changed by personalising
    assert "{company}" in json.dumps(content.pages[0].blocks[0].data)


def test_wrong_kind_of_value_is_refused():
    raw = raw_template("b2b")
    raw["products"][0]["price_cents"] = "9.90"
    with pytest.raises(SiteTemplateError, match=r"b2b\.json: product 'example-product-1': "
                       r"'price_cents' must be a whole number"):
        parse_site_template("b2b", raw)


def test_unknown_template_is_refused():
    with pytest.raises(SiteTemplateError, match="unknown site template 'castle'"):
        load_site_template("castle")


def test_unknown_block_type_names_the_file_page_and_block():
    raw = raw_template("corporate")
    raw["pages"][1]["blocks"][1]["type"] = "carousel"
    with pytest.raises(SiteTemplateError, match=r"corporate\.json: page 'about': Block 2 "
                       r"\(carousel\): unknown block type 'carousel'"):
        parse_site_template("corporate", raw)


def test_missing_block_field_is_refused():
    raw = raw_template("portfolio")
    del raw["pages"][0]["blocks"][0]["data"]["heading"]
    with pytest.raises(SiteTemplateError, match=r"page 'home': Block 1 \(hero\): "
                       r"missing field 'heading'"):
        parse_site_template("portfolio", raw)


def test_duplicate_page_slug_is_refused():
    raw = raw_template("blog")
    raw["pages"][2]["slug"] = "about"
    with pytest.raises(SiteTemplateError, match=r"blog\.json: page 'about': duplicate slug"):
        parse_site_template("blog", raw)


def test_products_block_without_products_is_refused():
    raw = raw_template("corporate")
    raw["pages"][0]["blocks"].append({"type": "products", "data": {"heading": "Shop", "limit": 3}})
    with pytest.raises(SiteTemplateError, match="a products block needs products"):
        parse_site_template("corporate", raw)


def test_link_to_a_missing_page_is_refused():
    raw = raw_template("corporate")
    raw["pages"][0]["blocks"][0]["data"]["button_link"] = "/contcat"
    with pytest.raises(SiteTemplateError, match="'/contcat' is not a page of this template"):
        parse_site_template("corporate", raw)


def test_reserved_page_slug_is_refused():
    raw = raw_template("corporate")
    raw["pages"][2]["slug"] = "shop"
    with pytest.raises(SiteTemplateError, match="page 'shop': bad slug"):
        parse_site_template("corporate", raw)


@pytest.mark.parametrize("language", ["nl", "en", "de", "fr"])
def test_a_language_code_is_no_page_address(language):
    """/en/... is the English site: a page there would hide it (web/public_site/languages.py)."""
    assert "kept for the site in that language" in slug_problem(language)
    assert slug_problem(f"{language}-shop") is None


def test_validate_blocks_accepts_good_blocks():
    assert validate_blocks([
        {"type": "text", "data": {"heading": "", "body": "Hello"}},
        {"type": "faq", "data": {"heading": "FAQ",
                                 "items": [{"question": "Why?", "answer": "Because."}]}},
        {"type": "products", "data": {"heading": "New", "limit": 4}},
    ]) == []


def test_validate_blocks_explains_each_problem():
    problems = validate_blocks([
        {"type": "slider", "data": {}},
        {"type": "hero", "data": {"heading": "Hi", "subheading": "", "button_label": "Go"}},
        {"type": "cta", "data": {"heading": "Hi", "body": "", "button_label": "Go",
                                 "button_link": "javascript:alert(1)"}},
        {"type": "testimonials", "data": {"items": [{"quote": "Great", "author": "Ann"}]}},
        {"type": "products", "data": {"heading": "New", "limit": 0}},
        {"type": "text", "data": {"heading": 3, "body": "x"}},
        "text",
    ])
    assert problems == [
        f"Block 1 (slider): unknown block type 'slider' (expected one of "
        f"{', '.join(BLOCK_FIELDS)}).",
        "Block 2 (hero): missing field 'button_link'.",
        "Block 3 (cta): 'button_link' must start with /, #, https://, http://, mailto:, tel:.",
        "Block 4 (testimonials): item 1 is missing the text field 'role'.",
        "Block 5 (products): 'limit' must be a whole number from 1 to 24.",
        "Block 6 (text): 'heading' must be text.",
        "Block 7: must be an object with a 'type' and a 'data' object.",
    ]
    assert validate_blocks({"type": "text"}) == ["The blocks must be a list."]


def test_personalise_replaces_only_the_placeholder():
    assert personalise("Welcome to {company}!", "Acme") == "Welcome to Acme!"
    assert personalise("{company} {x} {0} {company.__class__}", "Acme") == \
        "Acme {x} {0} {company.__class__}"
    # the company name is data, never a template
    assert personalise("About {company}", "{0} {company} {__import__}") == \
        "About {0} {company} {__import__}"


# Starter content is neutral: it asks to be replaced and claims nothing on the owner's behalf.

UNMARKED_BLOCKS = ("contact_form", "products")  # working parts, no text about the company


def block_text(block) -> str:
    """Every text a visitor reads in the block (not settings such as a products block's limit)."""
    def texts(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, list | dict):
            for item in value.values() if isinstance(value, dict) else value:
                yield from texts(item)
    return "\n".join(texts(block.data))


@pytest.mark.parametrize("template_id,language", EVERY)
def test_starter_text_is_marked_and_asks_to_be_replaced(template_id, language):
    content = load_site_template(template_id, language)
    for page in content.pages:
        for block in page.blocks:
            if block.type in UNMARKED_BLOCKS:
                assert not block.placeholder, (page.slug, block.type)
            else:
                assert block.placeholder, (page.slug, block.type)
                assert REPLACE_ME[language] in block_text(block), (page.slug, block.type)
    rows = [page.as_row("Acme") for page in content.pages]
    seeded = [block for row in rows for block in row["blocks"]]
    assert all(block.get("placeholder") is True
               for block in seeded if block["type"] not in UNMARKED_BLOCKS)
    assert not any("placeholder" in block for block in seeded if block["type"] in UNMARKED_BLOCKS)


@pytest.mark.parametrize("template_id,language", EVERY)
def test_starter_content_names_no_one_and_invents_no_numbers(template_id, language):
    content = load_site_template(template_id, language)
    blocks = [block for page in content.pages for block in page.blocks]
    # no quotes from invented customers: a testimonial needs a real person's permission
    assert "testimonials" not in [block.type for block in blocks]
    assert not any("author" in item for block in blocks for item in block.data.get("items", []))
    # no invented facts: no delivery times, percentages, years or prices in the text
    assert not any(char.isdigit() for block in blocks for char in block_text(block))
    assert content.settings.tagline == ""
    for product in content.products:
        assert product.name.startswith(EXAMPLE_PRODUCT[language])
        assert REPLACE_ME[language].split()[0] in product.description


@pytest.mark.parametrize("template_id,language", EVERY)
def test_every_template_keeps_a_contact_page_with_a_form(template_id, language):
    contact = next(page for page in load_site_template(template_id, language).pages
                   if page.slug == "contact")
    assert "contact_form" in [block.type for block in contact.blocks]


def test_the_placeholder_mark_must_be_true_or_false():
    text = {"heading": "Hi", "body": "x"}
    assert validate_blocks([{"type": "text", "placeholder": True, "data": text}]) == []
    assert validate_blocks([{"type": "text", "placeholder": "yes", "data": text}]) == [
        "Block 1 (text): 'placeholder' must be true or false."]


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_every_template_passes_the_theme_pages_contrast_check(template_id):
    from tenants.theme import COLOR_KEYS, contrast_problem

    settings = load_site_template(template_id).settings
    assert contrast_problem({key: getattr(settings, key) for key in COLOR_KEYS}) is None


# Each language has a whole file per template; the files may differ only in their words.

def shape(content) -> dict:
    """Everything but the words: page order and flags, block types, placeholder marks, the
    number of items, fields and links by position, products' prices, stock and images."""
    def data_shape(data):
        return {key: (len(value) if isinstance(value, list) else
                      value if not isinstance(value, str) else
                      "link" if key in ("button_link", "link") and value else bool(value))
                for key, value in data.items()}
    return {
        "settings": {key: value for key, value in vars(content.settings).items()
                     if key != "tagline"},
        "pages": [(page.position, page.in_navigation, page.published,
                   [(block.type, block.placeholder, data_shape(block.data))
                    for block in page.blocks]) for page in content.pages],
        "products": [(product.price_cents, product.stock, product.images)
                     for product in content.products],
    }


def links(content) -> list[str]:
    return [block.data.get(field, "") for page in content.pages for block in page.blocks
            for field in ("button_link", "link")]


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
@pytest.mark.parametrize("language", [code for code in STARTER_LANGUAGES if code != "en"])
def test_every_language_has_the_english_shape_in_its_own_words(template_id, language):
    english = load_site_template(template_id, "en")
    other = load_site_template(template_id, language)
    assert shape(other) == shape(english)
    # its links lead to the same places, by this language's slugs
    slugs = {f"/{page.slug}": f"/{theirs.slug}"
             for page, theirs in zip(english.pages, other.pages, strict=True)}
    assert links(other) == [slugs.get(link, link) for link in links(english)]
    # nothing left in English: every visible text differs, except names the same in both
    same = {"{company}", "Home", "Contact", "Blog", ""}
    for page, theirs in zip(english.pages, other.pages, strict=True):
        assert page.title != theirs.title or page.title in same, page.slug
        for block, their_block in zip(page.blocks, theirs.blocks, strict=True):
            for text, their_text in zip(block_text(block).split("\n"),
                                        block_text(their_block).split("\n"), strict=True):
                assert text in same or text.startswith("/") or text != their_text, \
                    (page.slug, text)
    for product, theirs in zip(english.products, other.products, strict=True):
        assert product.description != theirs.description and product.slug != theirs.slug


def test_dutch_sites_get_dutch_addresses_and_links_to_them():
    corporate = load_site_template("corporate", "nl")
    assert [page.slug for page in corporate.pages] == ["home", "over-ons", "diensten", "contact"]
    assert [page.title for page in corporate.pages] == ["Home", "Over ons", "Diensten", "Contact"]
    assert "/veelgestelde-vragen" in links(load_site_template("ecommerce", "nl"))
    assert "/werk" in links(load_site_template("portfolio", "nl"))
    assert [product.slug for product in load_site_template("b2b", "nl").products][:1] == [
        "voorbeeldproduct-1"]
    # the listings are routes of the public site, the same in every language
    assert "/shop" in links(load_site_template("ecommerce", "nl"))
    assert "/blog" in links(load_site_template("blog", "nl"))


def test_a_dutch_link_to_an_english_page_is_refused():
    raw = raw_template("corporate", "nl")
    raw["pages"][0]["blocks"][0]["data"]["button_link"] = "/about"
    with pytest.raises(SiteTemplateError, match=r"nl/corporate\.json: page 'home': Block 1 "
                       r"\(hero\): '/about' is not a page of this template"):
        parse_site_template("corporate", raw, "nl")


@pytest.mark.parametrize("language", ["de", "fr", "xx", None])
def test_a_language_without_starter_text_gets_the_english(language):
    content = load_site_template("corporate", language)
    assert content.language == "en" and content.pages[1].slug == "about"


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_every_template_seeds_in_each_language_with_the_same_structure(app, db_session,
                                                                       template_id):
    from sqlalchemy import select

    from db.models import Page, Product
    from db.models.tenants import Tenant

    import factories

    plan = "enterprise" if template_id == "b2b" else (
        "professional" if template_id == "ecommerce" else "starter")
    seeded = {}
    for language in STARTER_LANGUAGES:
        tenant = factories.tenant(app, db_session, plan=plan, template=template_id,
                                  company="Bakkerij Blum", language=language)
        pages = db_session.scalars(select(Page).where(Page.tenant_id == tenant.id)
                                   .order_by(Page.position)).all()
        products = db_session.scalars(select(Product).where(Product.tenant_id == tenant.id)
                                      .order_by(Product.slug)).all()
        settings = db_session.get(Tenant, tenant.id).site_settings
        seeded[language] = (pages, products, settings)
        content = load_site_template(template_id, language)
        assert [page.slug for page in pages] == [page.slug for page in content.pages]
        assert [page.title for page in pages] == [page.title for page in content.pages]
        home = json.dumps(pages[0].blocks, ensure_ascii=False)
        assert "Bakkerij Blum" in home and REPLACE_ME[language] in home
        assert all(product.name.startswith(EXAMPLE_PRODUCT[language]) for product in products)
        # every link inside the site leads to a page it has, or to a listing
        targets = {"/", "/blog", "/shop"} | {f"/{page.slug}" for page in pages}
        for page in pages:
            for block in page.blocks:
                for field in ("button_link", "link"):
                    link = block["data"].get(field, "")
                    assert not link.startswith("/") or link in targets, (language, link)
    (nl_pages, nl_products, nl_settings), (en_pages, en_products, en_settings) = (
        seeded["nl"], seeded["en"])
    assert len(nl_pages) == len(en_pages) and len(nl_products) == len(en_products)
    assert [[block["type"] for block in page.blocks] for page in nl_pages] == \
        [[block["type"] for block in page.blocks] for page in en_pages]
    assert "Vervang d" not in json.dumps([page.blocks for page in en_pages])
    assert "Replace this" not in json.dumps([page.blocks for page in nl_pages])
    assert {key: value for key, value in nl_settings.items()} == en_settings
