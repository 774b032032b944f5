"""The cart's rules: only the shop's own visible products, whole quantities within the stock,
prices always today's, and the VAT in them per rate."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import Product
from db.refusals import Refused
from tenants import cart as cart_rules
from worker.services import services

import factories


def product(db_session, tenant, name="Mug", price=1250, stock=None, active=True, vat_rate=21):
    row = Product(tenant_id=tenant.id, slug=name.lower().replace(" ", "-"), name=name,
                  price_cents=price, stock=stock, active=active, vat_rate=vat_rate)
    db_session.add(row)
    db_session.commit()
    return row


@pytest.fixture
def shop(app, db_session):
    return factories.tenant(app, db_session, plan="professional")


@pytest.mark.parametrize(("typed", "problem"), [
    ("0", "at least 1"), ("-2", "at least 1"), ("100", "at most 99"), ("99999999", "whole number"),
    ("1.5", "whole number"), ("", "whole number"), ("two", "whole number"), ("1e3", "whole number"),
])
def test_a_quantity_is_a_whole_number_from_1_to_99(typed, problem):
    with pytest.raises(Refused) as refused:
        cart_rules.quantity(typed)
    assert problem in str(refused.value.message) and refused.value.status == 400


def test_only_the_shops_own_visible_products_go_in_the_cart(app, db_session, shop):
    catalog = services(app).catalog
    other = factories.tenant(app, db_session, plan="professional")
    theirs = product(db_session, other, "Their mug")
    hidden = product(db_session, shop, "Hidden mug", active=False)
    cart = {}
    for pid in (theirs.id, hidden.id, 987654321):
        with pytest.raises(Refused) as refused:
            cart_rules.add(db_session, catalog, shop, cart, pid, 1)
        assert refused.value.status == 404
    assert cart == {}


def test_more_than_the_stock_is_refused_and_a_sold_out_product_says_so(app, db_session, shop):
    catalog = services(app).catalog
    mug = product(db_session, shop, stock=3)
    cart = {}
    cart_rules.add(db_session, catalog, shop, cart, mug.id, 2)
    with pytest.raises(Refused, match="Only"):
        cart_rules.add(db_session, catalog, shop, cart, mug.id, 2)
    assert cart == {str(mug.id): 2}
    mug.stock = 0
    db_session.commit()
    with pytest.raises(Refused) as refused:
        cart_rules.change(db_session, catalog, shop, cart, mug.id, 1)
    assert refused.value.status == 409


def test_the_cart_is_priced_from_the_database_and_drops_what_can_no_longer_be_bought(
        app, db_session, shop):
    catalog = services(app).catalog
    mug = product(db_session, shop, "Mug", price=1250, stock=5)
    book = product(db_session, shop, "Book", price=1090, vat_rate=9)
    gone = product(db_session, shop, "Gone")
    cart = {str(mug.id): 4, str(book.id): 1, str(gone.id): 1, "x": 3}
    db_session.delete(gone)
    mug.price_cents, mug.stock = 1500, 2  # the owner changed the price and sold some
    db_session.commit()

    priced = cart_rules.priced(db_session, catalog, shop, cart)

    assert [(line.product.name, line.quantity, line.cents) for line in priced.lines] == [
        ("Book", 1, 1090), ("Mug", 2, 3000)]
    assert priced.goods_cents == 4090
    assert priced.vat() == {21: 521, 9: 90}  # 3000 * 21/121, 1090 * 9/109
    assert cart == {str(mug.id): 2, str(book.id): 1}
    assert len(priced.notes) == 3  # the deleted product, the bad key, the smaller stock


def test_products_beyond_the_plans_limit_are_not_sold(app, db_session, shop):
    """After a downgrade to a plan with fewer products, the newest ones are not in the shop."""
    catalog = services(app).catalog
    existing = db_session.scalars(select(Product).where(Product.tenant_id == shop.id)).all()
    newest = product(db_session, shop, "Newest")
    shop.plan_id = "starter"  # no webshop, 0 products
    db_session.commit()
    with pytest.raises(Refused):
        cart_rules.sellable(db_session, catalog, shop, newest.id)
    assert existing  # the template's products are there, and just as unsellable
    with pytest.raises(Refused):
        cart_rules.sellable(db_session, catalog, shop, existing[0].id)
