"""The webshop in the portal: the plan gate, products on the public shop, prices, the limit."""

import uuid

import pytest
from sqlalchemy import func, select

from db.models import MediaFile, Product
from worker.services import services

import factories
from support import csrf_token


@pytest.fixture
def pro_client(app, db_session, client, sign_in):
    tenant = factories.tenant(app, db_session, plan="professional")
    sign_in(tenant.owner_email)
    client.tenant = tenant
    return client


def shop(client, tenant) -> str:
    return client.get("/shop", headers={"Host": f"{tenant.subdomain}.example.test"}).get_data(as_text=True)


def save(client, url, **fields):
    data = {"name": "Blue mug", "slug": "", "description": "A blue mug.", "price": "19.90",
            "stock": "5", "active": "y", "csrf_token": csrf_token(client, url)}
    data.update(fields)
    return client.post(url, data={k: v for k, v in data.items() if v is not None})


def product_named(db_session, tenant, name) -> Product:
    return db_session.scalar(select(Product).where(Product.tenant_id == tenant.id, Product.name == name))


def count(db_session, tenant) -> int:
    return db_session.scalar(select(func.count()).select_from(Product).where(Product.tenant_id == tenant.id))


def test_starter_gets_the_upgrade_page_on_get_and_post(owner_client):
    for response in (owner_client.get("/portal/products"),
                     owner_client.post("/portal/products/new", data={
                         "name": "Mug", "price": "1", "stock": "1",
                         "csrf_token": csrf_token(owner_client, "/portal/")})):
        page = response.get_data(as_text=True)
        assert response.status_code == 403
        assert "Webshop is not part of your plan" in page
        assert "<strong>Professional</strong> and <strong>Enterprise</strong>" in page


def test_create_edit_and_hide_a_product(pro_client, db_session):
    tenant = pro_client.tenant
    response = save(pro_client, "/portal/products/new", name="Café Crème Mug")
    assert response.status_code == 303 and response.headers["Location"] == "/portal/products"
    listing = pro_client.get("/portal/products").get_data(as_text=True)
    assert "Café Crème Mug is saved." in listing and "€19.90" in listing
    assert "/shop/cafe-creme-mug" in listing
    assert "Café Crème Mug" in shop(pro_client, tenant)

    product = product_named(db_session, tenant, "Café Crème Mug")
    url = f"/portal/products/{product.id}"
    assert 'value="19.90"' in pro_client.get(url).get_data(as_text=True)
    assert save(pro_client, url, name="Big mug", slug="cafe-creme-mug", price="24,5",
                stock="0").status_code == 303
    db_session.refresh(product)
    assert (product.name, product.price_cents, product.stock, product.slug) == \
        ("Big mug", 2450, 0, "cafe-creme-mug")
    assert "€24.50" in shop(pro_client, tenant)

    assert save(pro_client, url, name="Big mug", slug="cafe-creme-mug", active=None).status_code == 303
    assert "Big mug" not in shop(pro_client, tenant)
    assert "Hidden" in pro_client.get("/portal/products").get_data(as_text=True)

    delete = pro_client.post(f"{url}/delete", data={"csrf_token": csrf_token(pro_client, url)})
    assert delete.status_code == 303 and product_named(db_session, tenant, "Big mug") is None


def test_invalid_prices_are_refused_beside_the_field(pro_client, db_session):
    before = count(db_session, pro_client.tenant)
    for price, message in (("-1", "The price cannot be negative."),
                           ("abc", "Enter the price in euros, e.g. 19.90."),
                           ("19.999", "Use at most two decimals"),
                           ("", "Enter a price, e.g. 19.90.")):
        response = save(pro_client, "/portal/products/new", price=price, stock="-2")
        page = response.get_data(as_text=True)
        assert response.status_code == 422, price
        assert message in page and "The stock cannot be negative" in page, price
        assert 'value="Blue mug"' in page and f'value="{price}"' in page, price
    assert count(db_session, pro_client.tenant) == before


def test_addresses_are_unique_per_tenant(pro_client, db_session):
    assert save(pro_client, "/portal/products/new").status_code == 303
    assert save(pro_client, "/portal/products/new").status_code == 303
    slugs = {p.slug for p in db_session.scalars(
        select(Product).where(Product.tenant_id == pro_client.tenant.id, Product.name == "Blue mug"))}
    assert slugs == {"blue-mug", "blue-mug-2"}
    taken = save(pro_client, "/portal/products/new", slug="blue-mug")
    assert taken.status_code == 422
    assert "Another product already uses this address." in taken.get_data(as_text=True)
    nul = save(pro_client, "/portal/products/new", name="Nul\x00 mug")
    assert nul.status_code == 400 and "NUL character" in nul.get_data(as_text=True)
    assert product_named(db_session, pro_client.tenant, "Nul mug") is None
    bad = save(pro_client, "/portal/products/new", slug="Blue Mug!")
    assert bad.status_code == 422 and "Use lowercase letters" in bad.get_data(as_text=True)


def test_images_come_from_the_tenants_own_media(app, pro_client, db_session):
    def media(tenant):
        row = MediaFile(tenant_id=tenant.id, filename="mug.jpg", storage_name=uuid.uuid4().hex,
                        content_type="image/jpeg", size_bytes=1000)
        db_session.add(row)
        db_session.commit()
        return row

    own = media(pro_client.tenant)
    other = media(factories.tenant(app, db_session, plan="professional"))
    assert save(pro_client, "/portal/products/new", images=str(own.id)).status_code == 303
    product = product_named(db_session, pro_client.tenant, "Blue mug")
    assert product.images == [f"/media/{own.storage_name}"]
    edit = pro_client.get(f"/portal/products/{product.id}").get_data(as_text=True)
    assert f'<input checked id="images-0" name="images" type="checkbox" value="{own.id}">' in edit
    refused = save(pro_client, "/portal/products/new", images=str(other.id))
    assert refused.status_code == 422
    assert "Choose images from your media library." in refused.get_data(as_text=True)


def test_the_products_limit_refuses_one_more(app, pro_client, db_session, monkeypatch):
    tenant = pro_client.tenant
    limit = count(db_session, tenant) + 1
    monkeypatch.setitem(services(app).catalog.plan("professional").limits, "products", limit)
    assert save(pro_client, "/portal/products/new", name="Last one").status_code == 303
    refused = save(pro_client, "/portal/products/new", name="One too many")
    assert refused.status_code == 303
    page = pro_client.get(refused.headers["Location"]).get_data(as_text=True)
    assert f"limit of {limit} products" in page
    assert count(db_session, tenant) == limit and product_named(db_session, tenant, "One too many") is None


def test_another_tenants_product_is_not_found(app, pro_client, db_session):
    other = factories.tenant(app, db_session, plan="professional")
    theirs = db_session.scalar(select(Product).where(Product.tenant_id == other.id))
    assert pro_client.get(f"/portal/products/{theirs.id}").status_code == 404
    token = csrf_token(pro_client, "/portal/products/new")
    assert pro_client.post(f"/portal/products/{theirs.id}/delete",
                           data={"csrf_token": token}).status_code == 404
    for bad_id in ("not-a-number", "99999999999999999999"):
        assert pro_client.get(f"/portal/products/{bad_id}").status_code == 404
    assert product_named(db_session, other, theirs.name) is not None


def site_page(client, tenant, path) -> str:
    return client.get(path, headers={"Host": f"{tenant.subdomain}.example.test"}).get_data(as_text=True)


def test_stock_left_empty_is_not_tracked_and_the_product_stays_available(pro_client, db_session):
    from tenants.api_keys import create_key

    tenant = pro_client.tenant
    form = pro_client.get("/portal/products/new").get_data(as_text=True)
    assert "Leave empty if you do not track stock" in form

    assert save(pro_client, "/portal/products/new", name="Gift voucher", stock="  ").status_code == 303
    product = product_named(db_session, tenant, "Gift voucher")
    assert product.stock is None
    assert "Not tracked" in pro_client.get("/portal/products").get_data(as_text=True)
    # editing it keeps the field empty (not 0, which would mean sold out)
    edit = pro_client.get(f"/portal/products/{product.id}").get_data(as_text=True)
    assert '<input id="stock" inputmode="numeric" name="stock" type="text" value="">' in edit

    page = site_page(pro_client, tenant, f"/shop/{product.slug}")
    assert "In stock" in page and "sold out" not in page.lower()
    assert "Sold out" not in shop(pro_client, tenant)

    _row, key = create_key(db_session, tenant.id, "Shop sync")
    db_session.commit()
    listed = pro_client.get("/api/v1/products", headers={"Authorization": f"Bearer {key}"})
    [item] = [p for p in listed.get_json()["data"] if p["slug"] == product.slug]
    assert item["stock"] is None


def test_stock_zero_is_sold_out_and_a_number_is_in_stock(pro_client, db_session):
    tenant = pro_client.tenant
    assert save(pro_client, "/portal/products/new", name="Red mug", stock="0").status_code == 303
    assert save(pro_client, "/portal/products/new", name="Green mug", stock="3").status_code == 303
    red, green = (product_named(db_session, tenant, n) for n in ("Red mug", "Green mug"))
    assert (red.stock, green.stock) == (0, 3)

    assert "Currently sold out" in site_page(pro_client, tenant, "/shop/red-mug")
    green_page = site_page(pro_client, tenant, "/shop/green-mug")
    assert "In stock" in green_page and "sold out" not in green_page.lower()
    listing = shop(pro_client, tenant)
    card = listing[listing.index('href="/shop/red-mug"'):]
    assert "Sold out" in card[:card.index("</a>")]
    card = listing[listing.index('href="/shop/green-mug"'):]
    assert "Sold out" not in card[:card.index("</a>")]
    assert 'value="0"' in pro_client.get(f"/portal/products/{red.id}").get_data(as_text=True)
