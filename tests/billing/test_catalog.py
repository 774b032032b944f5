import tomllib

import pytest

from plans.catalog import DEFAULT_PATH, CatalogError, load_catalog, parse_catalog


@pytest.fixture
def raw():
    with open(DEFAULT_PATH, "rb") as fh:
        return tomllib.load(fh)


def test_shipped_catalog_has_the_designed_plans():
    catalog = load_catalog()
    assert list(catalog.plans) == ["starter", "professional", "enterprise"]
    starter, pro, enterprise = catalog.plans.values()
    assert [p.prices["month"].amount for p in (starter, pro, enterprise)] == [2900, 7900, 19900]
    assert all(p.prices["year"].amount == 10 * p.prices["month"].amount for p in catalog.plans.values())
    assert not starter.has("webshop") and pro.has("webshop") and pro.has("custom_domain")
    assert enterprise.has("ai") and enterprise.has("multi_language")
    assert starter.limits == {"pages": 10, "users": 2, "media_mb": 1024, "products": 0, "api_rpm": 60,
                              "ai_requests": 0}
    assert enterprise.limit("pages") is None and enterprise.limit("products") is None
    assert enterprise.limit("ai_requests") == 500 and pro.limit("ai_requests") == 0
    assert catalog.by_lookup_key("professional_yearly")[0] is pro


def test_webshop_templates_only_for_webshop_plans():
    catalog = load_catalog()
    assert [t.id for t in catalog.templates_for(catalog.plan("starter"))] == [
        "corporate", "portfolio", "blog"]
    assert "ecommerce" in [t.id for t in catalog.templates_for(catalog.plan("professional"))]


def test_unknown_feature_is_rejected(raw):
    raw["plans"][0]["features"].append("teleport")
    with pytest.raises(CatalogError, match="plan 'starter': unknown feature 'teleport'"):
        parse_catalog(raw)


def test_negative_limit_is_rejected(raw):
    raw["plans"][1]["limits"]["pages"] = -5
    with pytest.raises(CatalogError, match="limit 'pages': must not be negative"):
        parse_catalog(raw)


def test_duplicate_lookup_key_is_rejected(raw):
    raw["plans"][2]["prices"]["month"]["lookup_key"] = "starter_monthly"
    with pytest.raises(CatalogError, match="duplicate lookup key 'starter_monthly'"):
        parse_catalog(raw)


def test_missing_limit_is_rejected(raw):
    del raw["plans"][0]["limits"]["users"]
    with pytest.raises(CatalogError, match="missing limits users"):
        parse_catalog(raw)


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(CatalogError, match="cannot read plan catalog"):
        load_catalog(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("plans = [")
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog(bad)
