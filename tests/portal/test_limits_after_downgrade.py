"""Plan limits after a downgrade: nothing is deleted, but what lies beyond the new limit (the
newest items; the oldest stay within it) is read-only in the portal with a note, off the public
site, and cannot be put back to use by publishing, editing, showing or a role change. Every
action that would take more than the plan allows is refused, with nothing written."""

import html
import io
import re

import pytest
from sqlalchemy import func, select

from db.models import Invite, MediaFile, Page, Product, User
from tenants import team as team_rules
from tenants.api_keys import create_key
from worker.services import services

import factories
from support import csrf_token, png

NOTE = "Over your plan's limit: upgrade to"


def text(response) -> str:
    """The page as a person reads it: no tags, entities decoded, white space collapsed."""
    words = re.sub(r"<[^>]*>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def site(client, tenant, path):
    return client.get(path, headers={"Host": f"{tenant.subdomain}.example.test"})


def row_of(response, label: str) -> str:
    """The table row that shows ``label``, as a person reads it."""
    rows = re.findall(r"<tr[ >].*?</tr>", response.get_data(as_text=True), re.S)
    found = [row for row in rows if re.search(rf">\s*{re.escape(label)}\b", row)]
    assert len(found) == 1, label
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]*>", " ", found[0])))


def post(client, url, referrer, **data):
    """A form sent from the page at ``referrer``, following the answer (303 and its flash)."""
    data = {key: value for key, value in data.items() if value is not None}
    response = client.post(url, data={"csrf_token": csrf_token(client, referrer), **data},
                           headers={"Referer": f"http://localhost{referrer}"})
    assert response.status_code == 303, text(response)
    return client.get(response.headers["Location"])


def api(client, key, path):
    return client.get(path, headers={"Authorization": f"Bearer {key}"})


def count(db_session, model, tenant) -> int:
    return db_session.scalar(select(func.count()).select_from(model).where(model.tenant_id == tenant.id))


@pytest.fixture
def downgraded_site(app, db_session, client, sign_in, mails):
    """A Professional tenant with 12 published pages (the corporate template's 4, then
    extra-1 … extra-8), moved to Starter (10 pages) as the subscription handler does it."""
    tenant = factories.tenant(app, db_session, plan="professional", template="corporate")
    for n in range(1, 9):
        db_session.add(Page(tenant_id=tenant.id, slug=f"extra-{n}", title=f"Extra page {n}",
                            published=True, in_navigation=True, position=10 + n,
                            blocks=[{"type": "text", "data": {"heading": f"Words {n}", "body": "Hi."}}]))
        db_session.flush()
    tenant.plan_id = "starter"
    db_session.commit()
    sign_in(tenant.owner_email)
    client.tenant = tenant
    return client


def page(db_session, tenant, slug) -> Page:
    row = db_session.scalar(select(Page).where(Page.tenant_id == tenant.id, Page.slug == slug))
    db_session.refresh(row)
    return row


def test_the_public_site_shows_the_ten_oldest_pages_only(downgraded_site, db_session):
    client, tenant = downgraded_site, downgraded_site.tenant
    home = site(client, tenant, "/").get_data(as_text=True)
    shown = set(re.findall(r'href="/(extra-\d)"', home))
    assert shown == {f"extra-{n}" for n in range(1, 7)}  # 4 template pages + 6 extras = 10
    for n in range(1, 7):
        assert site(client, tenant, f"/extra-{n}").status_code == 200
    for n in (7, 8):
        hidden = site(client, tenant, f"/extra-{n}")
        assert hidden.status_code == 404 and f"Words {n}" not in hidden.get_data(as_text=True)
    # Stored all the same, and still published: an upgrade or a deletion brings them back.
    assert count(db_session, Page, tenant) == 12 and page(db_session, tenant, "extra-8").published

    services = page(db_session, tenant, "services")
    post(client, f"/portal/pages/{services.id}/delete", f"/portal/pages/{services.id}")
    assert site(client, tenant, "/extra-7").status_code == 200  # the next oldest moved up
    assert site(client, tenant, "/extra-8").status_code == 404


def test_the_portal_shows_pages_over_the_limit_read_only_with_a_note(downgraded_site, db_session):
    client, tenant = downgraded_site, downgraded_site.tenant
    listing = client.get("/portal/pages")
    assert "12 of 10 pages your plan allows" in text(listing)
    assert "You have 2 pages more than your plan allows" in text(listing)
    assert text(listing).count(f"{NOTE} edit or publish") == 2
    for n in (7, 8):
        assert f"{NOTE} edit or publish. Not on your site." in row_of(listing, f"Extra page {n}")
    assert NOTE not in row_of(listing, "Extra page 6")

    extra_8, extra_6 = page(db_session, tenant, "extra-8"), page(db_session, tenant, "extra-6")
    editor = client.get(f"/portal/pages/{extra_8.id}")
    assert editor.status_code == 200 and f"{NOTE} edit or publish it." in text(editor)
    assert re.search(r'<fieldset\s+disabled>', editor.get_data(as_text=True))
    assert NOTE not in text(client.get(f"/portal/pages/{extra_6.id}"))
    block = client.get(f"/portal/pages/{extra_8.id}/blocks/0")
    assert block.status_code == 200 and NOTE in text(block)
    assert "Words 8" in block.get_data(as_text=True)
    assert "2 over your plan's limit" in text(client.get("/portal/"))  # and the dashboard's meter


def test_nothing_puts_a_page_over_the_limit_back_to_use(downgraded_site, db_session):
    client, tenant = downgraded_site, downgraded_site.tenant
    extra_8 = page(db_session, tenant, "extra-8")
    at = f"/portal/pages/{extra_8.id}"
    refusal = "over your plan's limit of 10 pages: upgrade to edit or publish it"

    # Unpublishing takes nothing; publishing it again (a restore) is refused.
    assert "is a draft again" in text(post(client, f"{at}/unpublish", at))
    answer = text(post(client, f"{at}/publish", at))
    assert refusal in answer and "Nothing was changed." in answer
    assert page(db_session, tenant, "extra-8").published is False

    before = page(db_session, tenant, "extra-8")
    title, blocks, updated = before.title, list(before.blocks), before.updated_at
    for url, data in ((at, {"title": "Renamed", "slug": "renamed", "in_navigation": "y"}),
                      (f"{at}/blocks", {"type": "hero"}),
                      (f"{at}/blocks/0", {"heading": "Changed", "body": "Changed."}),
                      (f"{at}/blocks/0/move-down", {}),
                      (f"{at}/blocks/0/delete", {})):
        assert refusal in text(post(client, url, at, **data)), url
    after = page(db_session, tenant, "extra-8")
    assert (after.title, after.blocks, after.updated_at) == (title, blocks, updated)
    preview = client.get(f"{at}/preview")
    assert preview.status_code == 303 and page(db_session, tenant, "extra-8").published is False

    created = text(post(client, "/portal/pages/new", "/portal/pages/new", title="Eleventh"))
    assert "You have reached your plan's limit of 10 pages. Nothing was created." in created
    assert count(db_session, Page, tenant) == 12

    # A page within the limit is as editable as before, and can be published again.
    extra_6 = page(db_session, tenant, "extra-6")
    at6 = f"/portal/pages/{extra_6.id}"
    post(client, f"{at6}/unpublish", at6)
    assert "is published on your site" in text(post(client, f"{at6}/publish", at6))
    assert "Page settings saved." in text(post(client, at6, at6, title="Sixth", slug="extra-6"))
    assert site(client, tenant, "/extra-6").status_code == 200


def test_the_api_marks_pages_over_the_limit(downgraded_site, db_session):
    client, tenant = downgraded_site, downgraded_site.tenant
    _row, key = create_key(db_session, tenant.id, "Test")
    db_session.commit()
    pages = api(client, key, "/api/v1/pages").get_json()["data"]
    assert len(pages) == 12  # the tenant's own data, all of it
    assert {p["slug"] for p in pages if p["over_plan_limit"]} == {"extra-7", "extra-8"}
    one = api(client, key, f"/api/v1/pages/{page(db_session, tenant, 'extra-8').id}").get_json()
    assert one["data"]["over_plan_limit"] is True


@pytest.fixture
def downgraded_shop(app, db_session, client, sign_in, mails):
    """An Enterprise shop (the ecommerce template's 6 products) grown to 502 products, moved to
    Professional (500 products). The two newest are hidden-mug (not shown) and last-mug."""
    tenant = factories.tenant(app, db_session, plan="enterprise")
    db_session.add_all([Product(tenant_id=tenant.id, slug=f"mug-{n}", name=f"Mug {n}",
                                price_cents=1000 + n, stock=1) for n in range(494)])
    db_session.flush()
    db_session.add(Product(tenant_id=tenant.id, slug="hidden-mug", name="Hidden mug", price_cents=900,
                           stock=1, active=False))
    db_session.flush()
    db_session.add(Product(tenant_id=tenant.id, slug="last-mug", name="Last mug", price_cents=900, stock=1))
    tenant.plan_id = "professional"
    db_session.commit()
    sign_in(tenant.owner_email)
    client.tenant = tenant
    return client


def product(db_session, tenant, slug) -> Product:
    row = db_session.scalar(select(Product).where(Product.tenant_id == tenant.id, Product.slug == slug))
    db_session.refresh(row)
    return row


def product_form(row: Product, **changes) -> dict:
    return {"name": row.name, "slug": row.slug, "description": "", "price": "9.00", "stock": "1",
            "active": "y", **changes}


def test_products_over_the_limit_are_kept_read_only_and_off_the_shop(downgraded_shop, db_session):
    client, tenant = downgraded_shop, downgraded_shop.tenant
    assert count(db_session, Product, tenant) == 502
    shop = site(client, tenant, "/shop").get_data(as_text=True)
    assert shop.count('class="product-card"') == 500 and "/shop/last-mug" not in shop
    assert site(client, tenant, "/shop/last-mug").status_code == 404
    assert site(client, tenant, "/shop/mug-493").status_code == 200

    listing = text(client.get("/portal/products"))
    assert "502 of 500 products" in listing and "2 products more than your plan allows" in listing
    assert listing.count(f"{NOTE} edit or show it") == 2
    last, hidden = product(db_session, tenant, "last-mug"), product(db_session, tenant, "hidden-mug")
    form = client.get(f"/portal/products/{last.id}")
    assert form.status_code == 200 and f"{NOTE} edit it or show it in your shop." in text(form)

    refusal = "over your plan's limit of 500 products: upgrade to edit it or show it in your shop"
    at = f"/portal/products/{hidden.id}"
    assert refusal in text(post(client, at, at, **product_form(hidden)))  # enabling it
    assert product(db_session, tenant, "hidden-mug").active is False
    at = f"/portal/products/{last.id}"
    assert refusal in text(post(client, at, at, **product_form(last, name="Renamed mug")))
    assert product(db_session, tenant, "last-mug").name == "Last mug"
    created = text(post(client, "/portal/products/new", "/portal/products/new",
                        **product_form(last, name="New mug", slug="new-mug")))
    assert "reached your plan's limit of 500 products. Nothing was created." in created
    assert count(db_session, Product, tenant) == 502

    kept = product(db_session, tenant, "mug-493")
    at = f"/portal/products/{kept.id}"
    assert "Mug 493 is saved." in text(post(client, at, at, **product_form(kept, active=None)))
    assert product(db_session, tenant, "mug-493").active is False

    _row, key = create_key(db_session, tenant.id, "Test")
    db_session.commit()
    listed = api(client, key, "/api/v1/products").get_json()["data"]
    assert {p["slug"] for p in listed if p["over_plan_limit"]} == {"hidden-mug", "last-mug"}


@pytest.fixture
def downgraded_team(app, db_session, client, sign_in, mails):
    """A Professional tenant with its owner, three editors and an open invitation, moved to
    Starter (2 team members)."""
    tenant = factories.tenant(app, db_session, plan="professional")
    editors = [factories.user(db_session, tenant) for _ in range(3)]
    owner = db_session.scalar(select(User).where(User.email == tenant.owner_email))
    invite = team_rules.invite(db_session, services(app).catalog, tenant, owner,
                               "late@example.com", "editor", app.config["SECRET_KEY"])
    tenant.plan_id = "starter"
    db_session.commit()
    sign_in(tenant.owner_email)
    client.tenant, client.editors, client.invite = tenant, editors, invite
    return client


def test_members_over_the_limit_keep_their_place_read_only(app, downgraded_team, db_session):
    client, tenant, editors = downgraded_team, downgraded_team.tenant, downgraded_team.editors
    team = client.get("/portal/team")
    assert "5 of 2 places" in text(team) and "3 more places than your plan allows" in text(team)
    for editor in editors[1:]:  # the owner and the oldest editor hold the plan's two places
        assert f"{NOTE} change their role." in row_of(team, editor.email)
    assert NOTE not in row_of(team, editors[0].email) + row_of(team, tenant.owner_email)

    refused = text(post(client, f"/portal/team/members/{editors[2].id}/role", "/portal/team", role="admin"))
    assert f"{editors[2].email} is over your plan's limit of 2 team members" in refused
    db_session.refresh(editors[2])
    assert editors[2].role == "editor"
    allowed = text(post(client, f"/portal/team/members/{editors[0].id}/role", "/portal/team", role="admin"))
    assert f"{editors[0].email} is now admin" in allowed

    invited = text(post(client, "/portal/team/invites", "/portal/team", email="more@example.com",
                        role="editor"))
    assert "reached your plan's limit of 2 team members" in invited
    assert db_session.scalar(select(Invite).where(Invite.email == "more@example.com")) is None

    link = f"/invites/{team_rules.invite_token(app.config['SECRET_KEY'], downgraded_team.invite.id)}"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/portal/team")})
    accepted = client.post(link, data={"password": factories.PASSWORD,
                                       "csrf_token": csrf_token(client, link)})
    assert accepted.status_code == 409 and "is full on its current plan" in text(accepted)
    assert db_session.scalar(select(User).where(User.email == "late@example.com")) is None
    assert count(db_session, User, tenant) == 4


@pytest.fixture
def media_root(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    return tmp_path / "media"


def upload(client, data: bytes, filename: str):
    response = client.post("/portal/media/upload", content_type="multipart/form-data",
                           data={"csrf_token": csrf_token(client, "/portal/media"),
                                 "file": (io.BytesIO(data), filename)})
    response.request.input_stream.close()
    return response


def served(client, tenant, row: MediaFile) -> int:
    """The status of the file on the tenant's public site."""
    with site(client, tenant, f"/media/{row.storage_name}") as response:
        return response.status_code


def test_media_over_the_storage_limit_stays_in_the_portal_but_leaves_the_site(
        app, db_session, client, sign_in, mails, media_root, monkeypatch):
    # Starter's storage made 1 MB here, so that a few real uploads are more than it allows.
    monkeypatch.setitem(services(app).catalog.plan("starter").limits, "media_mb", 1)
    tenant = factories.tenant(app, db_session, plan="professional", template="corporate")
    sign_in(tenant.owner_email)
    for name in ("old.png", "new.png"):
        assert upload(client, png(600 * 1024), name).status_code == 303
    tenant.plan_id = "starter"
    db_session.commit()
    old, new = (db_session.scalar(select(MediaFile).where(MediaFile.tenant_id == tenant.id,
                                                          MediaFile.filename == name))
                for name in ("old.png", "new.png"))

    assert served(client, tenant, old) == 200
    assert served(client, tenant, new) == 404
    library = client.get("/portal/media")
    assert "more storage than your plan allows" in text(library)
    assert f"{NOTE} show it on your site." in row_of(library, "new.png")
    assert NOTE not in row_of(library, "old.png")
    with client.get(f"/portal/media/{new.id}/file") as own_copy:  # the owner still has it
        assert own_copy.status_code == 200

    refused = upload(client, png(1024), "more.png")
    assert refused.status_code == 303
    assert "reached your plan's limit of 1 MB of media storage" in text(client.get("/portal/media"))
    assert count(db_session, MediaFile, tenant) == 2

    client.post(f"/portal/media/{old.id}/delete", data={"csrf_token": csrf_token(client, "/portal/media")})
    assert served(client, tenant, new) == 200
