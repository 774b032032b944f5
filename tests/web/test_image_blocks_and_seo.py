"""Image blocks in the page editor and on the site, starter text to replace, and each page's and
post's search and sharing fields in the site's <head>."""

import html
import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from db.models import MediaFile, Page, Post
from db.refusals import Refused
from tenants import pages
from worker.services import services

import factories
from support import csrf_token


def text(response) -> str:
    """The page as a person reads it: no tags, entities decoded, white space collapsed."""
    words = re.sub(r"<[^>]*>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def site_get(client, tenant, path):
    return client.get(path, headers={"Host": f"{tenant.subdomain}.example.test"})


def site_url(tenant, path="/"):
    return f"http://{tenant.subdomain}.example.test{path}"


def imgs(page_html: str) -> list[dict]:
    """Every <img> of the page's main part, as its attributes."""
    main = page_html.split('<main id="content">', 1)[1]
    return [dict((name, html.unescape(value)) for name, value in re.findall(r'([\w-]+)="([^"]*)"', tag))
            for tag in re.findall(r"<img\b[^>]*>", main, re.S)]


def meta(page_html: str) -> dict[str, str]:
    """The <head>'s meta tags by name or property."""
    found = {}
    for tag in re.findall(r"<meta\b[^>]*>", page_html):
        key = re.search(r'(?:name|property)="([^"]+)"', tag)
        content = re.search(r'content="([^"]*)"', tag)
        if key and content:
            found[key[1]] = html.unescape(content[1])
    return found


def title_of(page_html: str) -> str:
    return html.unescape(re.search(r"<title>(.*?)</title>", page_html, re.S)[1].strip())


@pytest.fixture
def portal(owner_client, app, db_session, tmp_path, monkeypatch):
    """The owner's client with ``post_form(url, **data)`` and ``upload(data, filename)``."""
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(tmp_path / "media"))
    token = csrf_token(owner_client, "/portal/pages/new")

    def post(url, follow=False, **data):
        return owner_client.post(url, data={"csrf_token": token, **data}, follow_redirects=follow)

    def upload(data: bytes, filename: str) -> MediaFile:
        response = owner_client.post("/portal/media/upload", content_type="multipart/form-data",
                                     data={"csrf_token": token, "file": (io.BytesIO(data), filename)})
        assert response.status_code == 303, text(response)
        return db_session.scalar(
            select(MediaFile).where(MediaFile.tenant_id == owner_client.tenant.id,
                                    MediaFile.filename == filename))

    owner_client.post_form, owner_client.upload = post, upload
    return owner_client


def create_page(portal, title) -> str:
    response = portal.post_form("/portal/pages/new", title=title, slug="")
    assert response.status_code == 303, text(response)
    return response.headers["Location"]


def page_row(db_session, tenant, slug) -> Page:
    page = db_session.scalar(select(Page).where(Page.tenant_id == tenant.id, Page.slug == slug))
    db_session.refresh(page)
    return page


def add_image_block(portal, editor, index, block_type="image", **data):
    assert portal.post_form(f"{editor}/blocks", type=block_type).status_code == 303
    return portal.post_form(f"{editor}/blocks/{index}", **data)


def other_tenants_image(app, db_session) -> MediaFile:
    other = factories.tenant(app, db_session)
    row = MediaFile(tenant_id=other.id, filename="theirs.png", storage_name=uuid.uuid4().hex,
                    content_type="image/png", size_bytes=10, width=10, height=10)
    db_session.add(row)
    db_session.commit()
    return row


def test_an_owner_picks_an_uploaded_image_and_the_live_page_shows_it(portal, db_session):
    photo = portal.upload(png(1200, 800), "shop-front.png")
    editor = create_page(portal, "Visit us")
    portal.post_form(f"{editor}/blocks", type="image")
    form = portal.get(f"{editor}/blocks/0")
    assert "shop-front.png" in text(form)
    assert f'name="media_id" value="{photo.id}"' in form.get_data(as_text=True)

    response = portal.post_form(f"{editor}/blocks/0", media_id=str(photo.id), alt="Our shop on the corner",
                                caption="Open every day", link="/contact")
    assert response.status_code == 303, text(response)
    response = add_image_block(portal, editor, 1, "image_with_text", media_id=str(photo.id),
                               alt="The counter", heading="Inside", body="Come in.", image_side="right")
    assert response.status_code == 303, text(response)
    assert "Image: Open every day" in text(portal.get(editor))
    portal.post_form(f"{editor}/publish")

    live = site_get(portal, portal.tenant, "/visit-us").get_data(as_text=True)
    first, second = imgs(live)
    assert first["src"] == f"/media/{photo.storage_name}"
    assert first["width"] == "1200" and first["height"] == "800"
    assert first["alt"] == "Our shop on the corner"
    widths = re.findall(r" (\d+)w", first["srcset"])
    assert widths == ["480", "960", "1200"] and first["sizes"]
    assert "loading" not in first  # the first block is seen at once
    assert second["alt"] == "The counter" and second["loading"] == "lazy"
    assert re.search(r'<a href="/contact">\s*<img', live)
    assert "<figcaption>Open every day</figcaption>" in live
    assert live.index("Come in.") < live.index('alt="The counter"')  # the image on the right
    for src in re.findall(r"(/media/\S+) \d+w", first["srcset"]):
        assert site_get(portal, portal.tenant, src).status_code == 200, src


def test_another_tenants_image_is_refused_and_nothing_is_saved(portal, app, db_session):
    theirs = other_tenants_image(app, db_session)
    document = portal.upload(b"%PDF-1.4\n%%EOF\n", "prices.pdf")
    editor = create_page(portal, "Gallery")
    portal.post_form(f"{editor}/blocks", type="image")
    for media_id in (theirs.id, document.id, 2**40):
        response = portal.post_form(f"{editor}/blocks/0", media_id=str(media_id), alt="Stolen",
                                    caption="", link="")
        assert response.status_code == 422, media_id
        assert "That image is not in your media library. Choose one of your own images." in text(response)
    response = portal.post_form(f"{editor}/blocks/0", alt="Nothing chosen", caption="", link="")
    assert response.status_code == 422 and "Choose an image from your media library." in text(response)
    page = page_row(db_session, portal.tenant, "gallery")
    assert page.blocks[0]["data"]["media_id"] is None and page.blocks[0]["data"]["alt"] == ""

    # The rule itself checks ownership, whoever calls it.
    with pytest.raises(Refused, match="not in your media library"):
        pages.update_block(db_session, services(app).catalog, portal.tenant, page, 0,
                           {"media_id": theirs.id, "alt": "x", "caption": "", "link": ""})


def test_alt_text_is_required_unless_the_image_is_decorative(portal, db_session):
    photo = portal.upload(png(300, 200), "pattern.png")
    editor = create_page(portal, "Pattern")
    response = add_image_block(portal, editor, 0, media_id=str(photo.id), alt="  ", caption="",
                               link="")
    assert response.status_code == 422
    assert "Describe the image in a few words, or tick that it is decorative." in text(response)
    assert page_row(db_session, portal.tenant, "pattern").blocks[0]["data"]["media_id"] is None

    response = portal.post_form(f"{editor}/blocks/0", media_id=str(photo.id), alt="", caption="",
                                link="/shop", decorative="y")
    assert response.status_code == 422
    assert "A linked image needs alt text that says where the link goes." in text(response)

    response = portal.post_form(f"{editor}/blocks/0", media_id=str(photo.id), alt="ignored",
                                caption="", link="", decorative="y")
    assert response.status_code == 303
    data = page_row(db_session, portal.tenant, "pattern").blocks[0]["data"]
    assert data["decorative"] is True and data["alt"] == ""
    portal.post_form(f"{editor}/publish")
    image, = imgs(site_get(portal, portal.tenant, "/pattern").get_data(as_text=True))
    assert image["alt"] == ""
    form = portal.get(f"{editor}/blocks/0").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*name="decorative"', form)  # the choice is shown again


def test_a_block_whose_image_is_gone_leaves_the_site_and_asks_for_a_new_image(
        portal, app, db_session, monkeypatch):
    photo = portal.upload(png(640, 480), "team.png")
    editor = create_page(portal, "Team")
    add_image_block(portal, editor, 0, media_id=str(photo.id), alt="The team", caption="Us", link="")
    portal.post_form(f"{editor}/blocks", type="text")
    portal.post_form(f"{editor}/blocks/1", heading="Who we are", body="Five people.")
    portal.post_form(f"{editor}/publish")
    assert 'alt="The team"' in site_get(portal, portal.tenant, "/team").get_data(as_text=True)

    def gone():
        live = site_get(portal, portal.tenant, "/team")
        assert live.status_code == 200 and "Five people." in text(live)
        assert "block-image" not in live.get_data(as_text=True)
        assert imgs(live.get_data(as_text=True)) == []
        assert "Image: needs a new image" in text(portal.get(editor))
        assert "This block needs a new image" in text(portal.get(f"{editor}/blocks/0"))

    # Beyond the plan's storage after a downgrade: kept, but not on the site.
    limits = services(app).catalog.plan("starter").limits
    with monkeypatch.context() as patch:
        patch.setitem(limits, "media_mb", 0)
        gone()
    assert 'alt="The team"' in site_get(portal, portal.tenant, "/team").get_data(as_text=True)

    db_session.delete(photo)  # as the media library deletes it
    db_session.commit()
    gone()


def test_the_image_picker_offers_an_upload_when_the_library_has_no_images(portal):
    editor = create_page(portal, "Empty")
    portal.post_form(f"{editor}/blocks", type="image_with_text")
    form = portal.get(f"{editor}/blocks/0")
    assert "Your media library has no images yet. Upload an image" in text(form)
    assert 'href="/portal/media"' in form.get_data(as_text=True)


def test_starter_blocks_say_replace_me_until_saved(portal, db_session):
    home = page_row(db_session, portal.tenant, "home")
    blocks = [{"type": block["type"], "data": block["data"]} for block in home.blocks]
    blocks[0]["placeholder"] = True
    home.blocks = blocks
    db_session.commit()
    editor = f"/portal/pages/{home.id}"

    listing = text(portal.get("/portal/pages"))
    assert re.search(r"Home /home Published \d+ Replace me", listing)
    assert text(portal.get(editor)).count("Replace me") == 1
    form = portal.get(f"{editor}/blocks/0")
    assert "Replace me" in text(form)

    data = {name: value for name, value in blocks[0]["data"].items() if isinstance(value, str)}
    assert portal.post_form(f"{editor}/blocks/0", **{**data, "heading": "Our own words"}).status_code == 303
    assert "placeholder" not in page_row(db_session, portal.tenant, "home").blocks[0]
    assert "Replace me" not in text(portal.get(editor))
    listing = text(portal.get("/portal/pages"))
    assert re.search(r"Home /home Published \d+ ", listing)
    assert not re.search(r"Home /home Published \d+ Replace me", listing)


def test_search_title_description_and_image_are_in_the_live_pages_head(portal, db_session):
    tenant = portal.tenant
    share = portal.upload(png(2000, 1000), "share.png")
    about = page_row(db_session, tenant, "about")
    settings = dict(title=about.title, slug="about", in_navigation="y",
                    seo_title="About Acme: bakers since 1920",
                    seo_description="Fresh bread & cakes, baked every morning.",
                    social_image_id=str(share.id))
    response = portal.post_form(f"/portal/pages/{about.id}", **settings)
    assert response.status_code == 303, text(response)

    page = site_get(portal, tenant, "/about").get_data(as_text=True)
    tags = meta(page)
    assert title_of(page) == "About Acme: bakers since 1920"
    assert tags["description"] == "Fresh bread & cakes, baked every morning."
    assert tags["og:title"] == "About Acme: bakers since 1920"
    assert tags["og:description"] == "Fresh bread & cakes, baked every morning."
    assert tags["og:type"] == "website" and tags["og:site_name"] == tenant.company
    assert tags["og:url"] == site_url(tenant, "/about")
    widest = max(share.variants, key=lambda variant: variant["width"])  # the upload is too large
    assert tags["og:image"] == site_url(tenant, f"/media/{widest['storage_name']}")
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1600", "800")
    assert tags["twitter:card"] == "summary_large_image"
    assert site_get(portal, tenant, f"/media/{widest['storage_name']}").status_code == 200

    # The editor shows what was saved.
    editor = portal.get(f"/portal/pages/{about.id}").get_data(as_text=True)
    assert 'value="About Acme: bakers since 1920"' in editor
    assert f'<option selected value="{share.id}">share.png</option>' in editor


def test_without_search_fields_the_head_falls_back_to_title_tagline_and_site_images(
        portal, db_session):
    tenant = portal.tenant
    logo = portal.upload(png(400, 100), "logo.png")
    social = portal.upload(png(1200, 630), "social.png")
    tenant.site_settings = {**tenant.site_settings, "tagline": "Bread & more",
                            "logo_media_id": logo.id, "social_image_id": social.id}
    db_session.commit()

    page = site_get(portal, tenant, "/about").get_data(as_text=True)
    tags = meta(page)
    about = page_row(db_session, tenant, "about")
    assert title_of(page) == f"{about.title} · {tenant.company}"
    assert tags["description"] == "Bread & more" and tags["og:title"] == about.title
    assert tags["og:image"] == site_url(tenant, f"/media/{social.storage_name}")
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")

    tenant.site_settings = {**tenant.site_settings, "social_image_id": None}
    db_session.commit()
    tags = meta(site_get(portal, tenant, "/about").get_data(as_text=True))
    assert tags["og:image"] == site_url(tenant, f"/media/{logo.storage_name}")
    assert (tags["og:image:width"], tags["og:image:height"]) == ("400", "100")

    tenant.site_settings = {**tenant.site_settings, "logo_media_id": None}
    db_session.commit()
    home = site_get(portal, tenant, "/").get_data(as_text=True)
    tags = meta(home)
    assert title_of(home) == tenant.company
    assert "og:image" not in tags and "twitter:card" not in tags
    assert tags["og:url"] == site_url(tenant, "/")


def test_a_posts_head_is_an_article_with_its_cover_as_image(portal, db_session):
    tenant = portal.tenant
    cover = portal.upload(png(800, 600), "cover.png")
    db_session.add(Post(tenant_id=tenant.id, slug="opening", title="We open", body="Soon.",
                        published_at=datetime.now(UTC) - timedelta(hours=1),
                        cover_image_id=cover.id, seo_description="Our doors open on Monday."))
    db_session.commit()
    page = site_get(portal, tenant, "/blog/opening").get_data(as_text=True)
    tags = meta(page)
    assert title_of(page) == f"We open · {tenant.company}"
    assert tags["og:type"] == "article" and tags["description"] == "Our doors open on Monday."
    assert tags["og:image"] == site_url(tenant, f"/media/{cover.storage_name}")
    posting = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page,
                                   re.S)[1])
    assert posting["@type"] == "BlogPosting" and posting["image"] == tags["og:image"]


def test_search_fields_that_are_too_long_or_not_ones_own_are_refused(portal, app, db_session):
    about = page_row(db_session, portal.tenant, "about")
    base = dict(title=about.title, slug="about", in_navigation="y", seo_title="", seo_description="",
                social_image_id="")
    cases = [
        ({"seo_title": "x" * 121},
         "Use at most 120 characters for the search title (search engines show about 60)."),
        ({"seo_description": "x" * 301},
         "Use at most 300 characters for the search description (search engines show about 155)."),
        ({"social_image_id": str(other_tenants_image(app, db_session).id)},
         "That image is not in your media library. Choose one of your own images."),
    ]
    for change, message in cases:
        response = portal.post_form(f"/portal/pages/{about.id}", **{**base, **change,
                                                                      "title": "Changed"})
        assert response.status_code == 422 and message in text(response), change
    about = page_row(db_session, portal.tenant, "about")
    assert about.title != "Changed" and about.seo_title is None and about.social_image_id is None
    assert "x" * 121 not in site_get(portal, portal.tenant, "/about").get_data(as_text=True)

    with pytest.raises(Refused, match="at most 300 characters"):
        pages.update_page(db_session, services(app).catalog, portal.tenant, about, "About", "about",
                          True, "", "y" * 301, None)


def test_search_fields_are_escaped_in_the_head(portal, db_session):
    about = page_row(db_session, portal.tenant, "about")
    hostile = '"><script>alert(1)</script>'
    response = portal.post_form(f"/portal/pages/{about.id}", title=about.title, slug="about",
                                in_navigation="y", seo_title=hostile, seo_description=hostile,
                                social_image_id="")
    assert response.status_code == 303
    page = site_get(portal, portal.tenant, "/about").get_data(as_text=True)
    assert "<script>alert" not in page
    assert meta(page)["description"] == hostile and title_of(page) == hostile
