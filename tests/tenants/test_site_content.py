"""The site templates' starter content loads, and bad content is refused with a clear reason."""

import json

import pytest

from db.models.content import BLOCK_TYPES
from plans.catalog import default_catalog
from tenants.site_content import (
    BLOCK_FIELDS,
    TEMPLATE_DIR,
    TEMPLATE_IDS,
    SiteTemplateError,
    load_site_template,
    parse_site_template,
    personalise,
    validate_blocks,
)

SHOP_TEMPLATES = ("ecommerce", "b2b")


def raw_template(template_id):
    return json.loads((TEMPLATE_DIR / f"{template_id}.json").read_text(encoding="utf-8"))


def test_block_fields_cover_exactly_the_stored_block_types():
    assert set(BLOCK_FIELDS) == set(BLOCK_TYPES)


def test_templates_match_the_plan_catalog():
    catalog_templates = default_catalog().templates
    assert set(TEMPLATE_IDS) == set(catalog_templates)
    for template_id in TEMPLATE_IDS:
        assert load_site_template(template_id).name == catalog_templates[template_id].name


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_every_template_loads_with_a_published_home_page(template_id):
    content = load_site_template(template_id)
    slugs = [page.slug for page in content.pages]
    assert content.id == template_id and content.name
    assert slugs[0] == "home" and 3 <= len(slugs) <= 5
    assert all(page.published and page.in_navigation and page.blocks for page in content.pages)
    assert [page.position for page in content.pages] == list(range(len(slugs)))
    assert content.settings.font in ("serif", "sans")


@pytest.mark.parametrize("template_id", SHOP_TEMPLATES)
def test_shop_templates_have_products_and_show_them(template_id):
    content = load_site_template(template_id)
    assert 4 <= len(content.products) <= 6
    # examples to replace: a round price, stock not tracked
    assert all(product.price_cents > 0 and product.stock is None for product in content.products)
    assert all(product.name.startswith("Example product") for product in content.products)
    assert "faq" in [page.slug for page in content.pages]
    block_types = [block.type for page in content.pages for block in page.blocks]
    assert "products" in block_types


@pytest.mark.parametrize("template_id", ("corporate", "portfolio", "blog"))
def test_site_templates_have_no_products(template_id):
    assert load_site_template(template_id).products == ()


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


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_starter_text_is_marked_and_asks_to_be_replaced(template_id):
    content = load_site_template(template_id)
    for page in content.pages:
        for block in page.blocks:
            if block.type in UNMARKED_BLOCKS:
                assert not block.placeholder, (page.slug, block.type)
            else:
                assert block.placeholder, (page.slug, block.type)
                assert "Replace this" in block_text(block), (page.slug, block.type)
    rows = [page.as_row("Acme") for page in content.pages]
    seeded = [block for row in rows for block in row["blocks"]]
    assert all(block.get("placeholder") is True
               for block in seeded if block["type"] not in UNMARKED_BLOCKS)
    assert not any("placeholder" in block for block in seeded if block["type"] in UNMARKED_BLOCKS)


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_starter_content_names_no_one_and_invents_no_numbers(template_id):
    content = load_site_template(template_id)
    blocks = [block for page in content.pages for block in page.blocks]
    # no quotes from invented customers: a testimonial needs a real person's permission
    assert "testimonials" not in [block.type for block in blocks]
    assert not any("author" in item for block in blocks for item in block.data.get("items", []))
    # no invented facts: no delivery times, percentages, years or prices in the text
    assert not any(char.isdigit() for block in blocks for char in block_text(block))
    assert content.settings.tagline == ""
    for product in content.products:
        assert product.name.startswith("Example product") and "Replace" in product.description


@pytest.mark.parametrize("template_id", TEMPLATE_IDS)
def test_every_template_keeps_a_contact_page_with_a_form(template_id):
    contact = next(page for page in load_site_template(template_id).pages
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
