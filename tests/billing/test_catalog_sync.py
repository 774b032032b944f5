
from billing.catalog_sync import sync_catalog
from worker.services import services

from support import http


def test_sync_is_idempotent_and_prices_are_found_by_lookup_key(app, stripe_fake):
    # The session fixture synced once already; a second run changes nothing.
    result = app.test_cli_runner().invoke(args=["catalog", "sync"])
    assert result.exit_code == 0 and "catalog: 0 change(s)" in result.output
    prices = http.get(f"{stripe_fake.url}/v1/prices",
                       params={"lookup_keys[]": ["enterprise_yearly"]},
                       headers={"Authorization": "Bearer sk_test_suite"}).json()["data"]
    assert prices[0]["unit_amount"] == 199000 and prices[0]["recurring"]["interval"] == "year"
    assert prices[0]["product"] == "contyzr_enterprise"


def test_a_changed_price_is_replaced_and_keeps_its_lookup_key(app, stripe_fake):
    from dataclasses import replace

    catalog = services(app).catalog
    starter = catalog.plan("starter")
    dearer = replace(starter, prices={**starter.prices,
                                      "month": replace(starter.prices["month"], amount=3100)})
    changed = replace(catalog, plans={**catalog.plans, "starter": dearer})
    try:
        # The billing portal's configuration offers the new price in the old one's place.
        assert sync_catalog(services(app).stripe, changed) == [
            "replaced price starter_monthly", "updated billing portal configuration"]
        assert sync_catalog(services(app).stripe, changed) == []
    finally:
        assert sync_catalog(services(app).stripe, catalog) == [
            "replaced price starter_monthly", "updated billing portal configuration"]
