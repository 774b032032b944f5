"""The media library: checked uploads, storage against the plan, smaller copies of images, and
files kept through the storage backend (a folder, or an S3-compatible store: every test runs
on both)."""

import dataclasses
import html
import io
import re
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select

from db.models import MediaFile, Page, Post, Product, Tenant
from tenants import media
from tenants.media import MAX_FILE_BYTES
from tenants.media_storage import S3Storage
from worker.services import install, services

import factories
from support import csrf_token

MB = 1024 * 1024


def text(response) -> str:
    """The page as a person reads it: no tags, entities decoded, white space collapsed."""
    words = re.sub(r"<[^>]*>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(size: int | None = None) -> bytes:
    """A real 1×1 PNG, padded with trailing bytes to ``size`` when given."""
    image = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
             + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))
    return image if size is None else image + b"\x00" * (size - len(image))


def picture_bytes(width: int, height: int, kind: str = "JPEG", **options) -> bytes:
    """An image drawn with Pillow: a gradient, so that a smaller copy is a real picture."""
    image = Image.linear_gradient("L").resize((width, height)).convert(
        "RGB" if kind != "GIF" else "P")
    out = io.BytesIO()
    image.save(out, format=kind, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


class Stored:
    """The keys the test's backend holds for a tenant."""

    def __init__(self, backend, root, s3=None):
        self.backend, self.root, self.s3 = backend, root, s3

    def keys(self, tenant_id: int | None = None) -> list[str]:
        if self.backend == "directory":
            found = [path.relative_to(self.root).as_posix() for path in self.root.rglob("*")
                     if path.is_file()] if self.root.exists() else []
        else:
            listed = self.s3.client.list_objects_v2(Bucket=self.s3.bucket,
                                                    Prefix=f"{tenant_id}/" if tenant_id else "")
            found = [item["Key"] for item in listed.get("Contents", [])]
        return sorted(key for key in found if tenant_id is None or key.startswith(f"{tenant_id}/"))


@pytest.fixture(params=["directory", "s3"])
def backend(request, app, tmp_path, monkeypatch):
    """The app's media storage for this test: a fresh folder, or the local S3 store."""
    root = tmp_path / "media"
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(root))
    if request.param == "directory":
        yield Stored("directory", root)
        return
    settings = request.getfixturevalue("s3_server").settings
    s3 = S3Storage(settings["MEDIA_S3_BUCKET"], endpoint_url=settings["MEDIA_S3_ENDPOINT"],
                   access_key_id="k", secret_access_key="s", region="eu-west-1")
    original = services(app)
    install(app, dataclasses.replace(original, media=s3))
    yield Stored("s3", root, s3)
    install(app, original)


@pytest.fixture
def media_root(backend):
    return backend.root


@pytest.fixture
def portal(owner_client, backend):
    token = csrf_token(owner_client, "/portal/media")

    def upload(data: bytes, filename: str, follow=False):
        response = owner_client.post("/portal/media/upload", content_type="multipart/form-data",
                                     data={"csrf_token": token, "file": (io.BytesIO(data), filename)})
        response.request.input_stream.close()  # the test client keeps a large body in a temp file
        return owner_client.get(response.headers["Location"]) if follow else response

    def post(url, follow=False, **data):
        return owner_client.post(url, data={"csrf_token": token, **data}, follow_redirects=follow)

    owner_client.upload, owner_client.post_form = upload, post
    owner_client.stored = lambda: backend.keys(owner_client.tenant.id)
    return owner_client


def files_of(db_session, tenant) -> list[MediaFile]:
    return list(db_session.scalars(select(MediaFile).where(MediaFile.tenant_id == tenant.id)))


def on_site(client, tenant, path):
    return client.get(path, headers={"Host": f"{tenant.subdomain}.example.test"})


def test_an_image_uploads_counts_in_usage_and_is_served_to_the_tenant(portal, db_session, media_root):
    assert "Media storage : 0 MB of 1 GB" in text(portal.get("/portal/"))
    image = png()
    response = portal.upload(image, "logo.png", follow=True)
    assert f"“logo.png” is uploaded ({len(image)} bytes)." in text(response)
    assert f"logo.png PNG image {len(image)} bytes" in text(response)
    assert "Media storage : 1 MB of 1 GB" in text(portal.get("/portal/"))

    row, = files_of(db_session, portal.tenant)
    assert row.size_bytes == len(image) and row.content_type == "image/png"
    with portal.get(f"/portal/media/{row.id}/file") as served:
        assert served.status_code == 200 and served.data == image
        assert served.headers["Content-Type"] == "image/png"
        assert served.headers["Content-Disposition"] == "inline; filename=logo.png"
        assert served.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("filename", "data", "message"), [
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60, "Only PNG, JPEG, GIF, WebP and PDF files can be uploaded."),
    ("notes.png", b"just some text, honestly",
     "This file's name ends in .png, but its contents are not a PNG image."),
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "SVG files are refused for safety"),
    ("sneaky.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
     "SVG files are refused for safety"),
    ("empty.png", b"", "This file is empty."),
    ("big.png", png(MAX_FILE_BYTES + 1), "Files can be at most 10 MB."),
])
def test_files_that_are_not_allowed_are_refused_with_the_reason(portal, db_session, media_root,
                                                                 filename, data, message):
    response = portal.upload(data, filename)
    assert response.status_code == 422 and message in text(response)
    assert files_of(db_session, portal.tenant) == [] and portal.stored() == []


def test_the_uploaded_name_never_reaches_the_storage(portal, db_session):
    assert portal.upload(png(), "../../etc/passwd.png").status_code == 303
    row, = files_of(db_session, portal.tenant)
    assert row.filename == "passwd.png"
    key, = portal.stored()
    assert key == f"{portal.tenant.id}/{row.storage_name}" and "passwd" not in key
    assert re.fullmatch(r"[0-9a-f]{32}\.png", row.storage_name)


def test_deleting_a_file_frees_its_space(portal, db_session, media_root):
    portal.upload(png(3 * MB), "photo.png")
    assert "Media storage : 3 MB of 1 GB" in text(portal.get("/portal/"))
    row, = files_of(db_session, portal.tenant)
    response = portal.post_form(f"/portal/media/{row.id}/delete", follow=True)
    assert "“photo.png” is deleted." in text(response) and "No files yet." in text(response)
    assert files_of(db_session, portal.tenant) == [] and portal.stored() == []
    assert "Media storage : 0 MB of 1 GB" in text(portal.get("/portal/"))


def test_storage_limit_at_its_edge(portal, app, db_session, media_root, monkeypatch):
    monkeypatch.setitem(services(app).catalog.plan("starter").limits, "media_mb", 2)
    assert portal.upload(png(MB), "one.png").status_code == 303
    assert portal.upload(png(MB), "two.png").status_code == 303  # exactly the 2 MB allowed
    response = portal.upload(png(), "three.png", follow=True)
    assert ("You have reached your plan's limit of 2 MB of media storage. Nothing was created."
            in text(response))
    assert [row.filename for row in files_of(db_session, portal.tenant)] == ["one.png", "two.png"]
    assert len(portal.stored()) == 2


def test_another_tenants_file_is_not_found(portal, app, db_session, media_root):
    other = factories.tenant(app, db_session)
    row = MediaFile(tenant_id=other.id, filename="secret.pdf", storage_name="0" * 32 + ".pdf",
                    content_type="application/pdf", size_bytes=9)
    db_session.add(row)
    db_session.commit()
    assert portal.get(f"/portal/media/{row.id}/file").status_code == 404
    assert portal.post_form(f"/portal/media/{row.id}/delete").status_code == 404
    assert "secret.pdf" not in text(portal.get("/portal/media"))
    count = select(func.count()).select_from(MediaFile).where(MediaFile.tenant_id == other.id)
    assert db_session.scalar(count) == 1


def test_uploaded_images_are_served_on_the_public_site(portal, db_session):
    tenant = portal.tenant
    data = png()
    assert portal.upload(data, "logo.png").status_code == 303
    row = db_session.scalar(select(MediaFile).where(MediaFile.tenant_id == tenant.id))
    with on_site(portal, tenant, f"/media/{row.storage_name}") as served:
        assert served.status_code == 200 and served.data == data
        assert served.mimetype == "image/png"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.headers["Content-Disposition"] == "inline"
        assert served.cache_control.public and served.cache_control.max_age == 31536000
    assert on_site(portal, tenant, "/media/../../etc/passwd").status_code == 404
    assert on_site(portal, tenant, "/media/nope.png").status_code == 404


# Images: read in full, measured, made smaller

def bomb_header_only() -> bytes:
    """A tiny PNG whose header claims 100,000 × 100,000 pixels."""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def bomb_black_and_white() -> bytes:
    """A real 7000 × 6000 (42 megapixel) image that compresses to a few kilobytes."""
    out = io.BytesIO()
    Image.new("1", (7000, 6000)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(("filename", "data", "message"), [
    ("cut.png", picture_bytes(1200, 800, "PNG")[:900],
     "This file could not be read as a PNG image: it is damaged or incomplete."),
    ("cut.jpg", picture_bytes(1200, 800)[:1500],
     "This file could not be read as a JPEG image: it is damaged or incomplete."),
    ("huge.png", bomb_header_only(), "This image is too large: images can have at most 40 megapixels."),
    ("poster.png", bomb_black_and_white(),
     "This image is too large (7000 × 6000 pixels): images can have at most 40 megapixels."),
])
def test_broken_images_and_decompression_bombs_are_refused(portal, db_session, filename, data,
                                                           message):
    response = portal.upload(data, filename)
    assert response.status_code == 422 and message in text(response)
    assert files_of(db_session, portal.tenant) == [] and portal.stored() == []


def test_an_image_gets_smaller_copies_that_the_site_serves(portal, db_session):
    photo = picture_bytes(2000, 1000)
    assert portal.upload(photo, "harbour.jpg").status_code == 303
    row, = files_of(db_session, portal.tenant)
    assert (row.width, row.height, row.size_bytes) == (2000, 1000, len(photo))
    assert [(copy["width"], copy["height"]) for copy in row.variants] == [
        (480, 240), (960, 480), (1600, 800)]
    assert len(portal.stored()) == 4
    # The copies are ours: only the upload counts against the plan.
    assert media.bytes_used(db_session, portal.tenant.id) == len(photo)
    for copy in row.variants:
        with on_site(portal, portal.tenant, f"/media/{copy['storage_name']}") as served:
            assert served.status_code == 200 and served.mimetype == "image/jpeg"
            assert served.headers["X-Content-Type-Options"] == "nosniff"
            assert served.cache_control.public and served.cache_control.max_age == 31536000
            assert opened(served.data).size == (copy["width"], copy["height"])
            assert opened(served.data).format == "JPEG"

    shown = media.picture(row)
    assert shown.src == f"/media/{row.storage_name}" and (shown.width, shown.height) == (2000, 1000)
    assert shown.srcset == ", ".join([*(f"/media/{copy['storage_name']} {copy['width']}w"
                                        for copy in row.variants),
                                      f"/media/{row.storage_name} 2000w"])


def test_only_copies_narrower_than_the_original_are_made(portal, db_session):
    portal.upload(picture_bytes(1000, 400, "PNG"), "banner.png")
    portal.upload(picture_bytes(300, 200, "WEBP"), "icon.webp")
    portal.upload(picture_bytes(900, 600, "GIF"), "moving.gif")
    copies = {row.filename: [(copy["width"], copy["height"]) for copy in row.variants]
              for row in files_of(db_session, portal.tenant)}
    assert copies == {"banner.png": [(480, 192), (960, 384)], "icon.webp": [], "moving.gif": []}
    gif = next(row for row in files_of(db_session, portal.tenant) if row.filename == "moving.gif")
    assert (gif.width, gif.height) == (900, 600)
    assert media.picture(gif).srcset == f"/media/{gif.storage_name} 900w"


def test_copies_are_upright_and_carry_no_metadata(portal, db_session):
    exif = Image.Exif()
    exif[0x0112] = 6  # taken on its side: turn 90° clockwise to show
    exif[0x010F] = "Camera maker"
    portal.upload(picture_bytes(1200, 600, exif=exif), "portrait.jpg")
    row, = files_of(db_session, portal.tenant)
    assert (row.width, row.height) == (600, 1200)  # as people see it
    copy, = row.variants
    with on_site(portal, portal.tenant, f"/media/{copy['storage_name']}") as served:
        image = opened(served.data)
    assert image.size == (480, 960) and dict(image.getexif()) == {}


def test_a_copy_of_a_file_beyond_the_plans_storage_is_not_on_the_site(portal, app, db_session,
                                                                       monkeypatch):
    for name in ("old.jpg", "new.jpg"):
        photo = picture_bytes(1000, 500) + b"\x00" * (600 * 1024)  # 600 KB with padding
        assert portal.upload(photo, name).status_code == 303
    monkeypatch.setitem(services(app).catalog.plan("starter").limits, "media_mb", 1)
    old, new = sorted(files_of(db_session, portal.tenant), key=lambda row: row.id)
    assert on_site(portal, portal.tenant, f"/media/{old.variants[0]['storage_name']}").status_code == 200
    assert on_site(portal, portal.tenant, f"/media/{new.variants[0]['storage_name']}").status_code == 404
    assert on_site(portal, portal.tenant, f"/media/{new.storage_name}").status_code == 404


def test_the_library_shows_thumbnails_and_sizes(portal, db_session):
    portal.upload(picture_bytes(2000, 1000), "harbour.jpg")
    portal.upload(b"%PDF-1.4\n%%EOF", "menu.pdf")
    row = next(row for row in files_of(db_session, portal.tenant) if row.filename == "harbour.jpg")
    page = portal.get("/portal/media")
    assert "2000 × 1000 pixels harbour.jpg JPEG image" in text(page)
    thumbnail = f'src="/portal/media/{row.id}/file?width=480"'
    assert thumbnail in page.get_data(as_text=True)
    assert page.get_data(as_text=True).count("<img") == 1  # none for the PDF
    with portal.get(f"/portal/media/{row.id}/file?width=480") as served:
        assert served.status_code == 200 and opened(served.data).size == (480, 240)
        assert served.cache_control.private
    assert portal.get(f"/portal/media/{row.id}/file?width=123").status_code == 404
    assert "do not count against your plan" in text(page)


# Where a file is used, and deleting one in use

def test_usages_name_every_place_a_file_is_shown(portal, db_session):
    portal.upload(picture_bytes(1000, 500), "shop.jpg")
    row, = files_of(db_session, portal.tenant)
    tenant_id, url, copy = (portal.tenant.id, f"/media/{row.storage_name}",
                            f"/media/{row.variants[0]['storage_name']}")
    assert media.usages(db_session, tenant_id, row.id) == []
    db_session.add_all([
        Page(tenant_id=tenant_id, slug="gallery", title="Gallery", position=90, social_image_id=row.id,
             blocks=[{"type": "image", "data": {"media_id": row.id, "alt": "", "caption": "", "link": ""}},
                     {"type": "image_with_text", "data": {"media_id": row.id, "alt": "", "heading": "H",
                                                          "body": "", "image_side": "left"}},
                     {"type": "text", "data": {"heading": "", "body": f"![shop]({copy})"}}]),
        Page(tenant_id=tenant_id, slug="other", title="Other", position=91,
             blocks=[{"type": "image", "data": {"media_id": row.id + 1000}}]),
        Post(tenant_id=tenant_id, slug="opening", title="Opening", body=f"See ![x]({url})",
             cover_image_id=row.id, social_image_id=row.id),
        Product(tenant_id=tenant_id, slug="mug", name="Mug", price_cents=900, images=[url]),
    ])
    tenant = db_session.get(Tenant, tenant_id)
    tenant.site_settings = {**(tenant.site_settings or {}), "logo_media_id": row.id,
                            "favicon_media_id": row.id, "social_image_id": row.id}
    db_session.commit()
    assert media.usages(db_session, tenant_id, row.id) == [
        'page "Gallery" (image block)', 'page "Gallery" (image with text block)',
        'page "Gallery" (image in a text block)', 'page "Gallery" (sharing image)',
        'post "Opening" (cover image)', 'post "Opening" (image in the text)',
        'post "Opening" (sharing image)', 'product "Mug" (photo)',
        'the site logo', 'the site icon (favicon)', "the site's sharing image"]


def test_deleting_a_file_in_use_asks_first_then_empties_the_places(portal, db_session):
    portal.upload(picture_bytes(1000, 500), "hero.jpg")
    row, = files_of(db_session, portal.tenant)
    tenant = db_session.get(Tenant, portal.tenant.id)
    home = db_session.scalar(select(Page).where(Page.tenant_id == tenant.id).order_by(Page.position))
    home.blocks = [*home.blocks, {"type": "image", "data": {"media_id": row.id, "alt": "Hero",
                                                            "caption": "", "link": ""}}]
    post = Post(tenant_id=tenant.id, slug="opening", title="Opening", body="We are open.",
                cover_image_id=row.id)
    db_session.add(post)
    tenant.site_settings = {**(tenant.site_settings or {}), "logo_media_id": row.id}
    db_session.commit()
    keys, copy = portal.stored(), row.variants[0]["storage_name"]
    assert len(keys) == 3  # the upload and its copies 480 and 960 wide

    asked = portal.post_form(f"/portal/media/{row.id}/delete")
    assert asked.status_code == 409
    assert (f'This file is used on your site: page "{home.title}" (image block) '
            'post "Opening" (cover image) the site logo') in text(asked)
    assert "Delete anyway" in text(asked)
    assert [found.id for found in files_of(db_session, tenant)] == [row.id]
    assert portal.stored() == keys

    done = portal.post_form(f"/portal/media/{row.id}/delete", follow=True, confirm="1")
    assert "“hero.jpg” is deleted." in text(done)
    assert files_of(db_session, tenant) == [] and portal.stored() == []
    db_session.expire_all()
    assert db_session.get(Post, post.id).cover_image_id is None
    assert on_site(portal, tenant, f"/media/{copy}").status_code == 404
    assert on_site(portal, tenant, "/").status_code == 200  # the home page, without the image


# References that are not foreign keys are cleared with the file

def img_sources(page_html: str) -> list[str]:
    return re.findall(r'<img[^>]*\ssrc="([^"]+)"', page_html)


def test_delete_anyway_empties_image_blocks_and_takes_the_file_out_of_the_settings(portal,
                                                                                   db_session):
    from web.public_site.theme import site_theme

    portal.upload(picture_bytes(1000, 500), "hero.jpg")
    portal.upload(picture_bytes(800, 400), "other.jpg")
    row, other = sorted(files_of(db_session, portal.tenant), key=lambda found: found.id)
    tenant = db_session.get(Tenant, portal.tenant.id)
    home = db_session.scalar(select(Page).where(Page.tenant_id == tenant.id).order_by(Page.position))
    home.blocks = [*home.blocks,
                   {"type": "image", "data": {"media_id": row.id, "alt": "Hero", "caption": "",
                                              "link": ""}},
                   {"type": "image_with_text", "data": {"media_id": other.id, "alt": "Other",
                                                        "heading": "Kept", "body": "",
                                                        "image_side": "left"}}]
    db_session.add(Product(tenant_id=tenant.id, slug="mug", name="Mug", price_cents=900,
                           images=[f"/media/{row.storage_name}", f"/media/{other.storage_name}"]))
    tenant.site_settings = {**(tenant.site_settings or {}), "logo_media_id": row.id,
                            "favicon_media_id": row.id, "social_image_id": row.id,
                            "primary_color": "#112233"}
    db_session.commit()
    before = on_site(portal, tenant, "/").get_data(as_text=True)
    gone = row.storage_name
    assert f"/media/{gone}" in before  # the logo and the image block show it

    done = portal.post_form(f"/portal/media/{row.id}/delete", follow=True, confirm="1")
    assert "“hero.jpg” is deleted." in text(done)
    db_session.expire_all()
    tenant = db_session.get(Tenant, tenant.id)
    settings = tenant.site_settings
    assert not {"logo_media_id", "favicon_media_id", "social_image_id"} & set(settings)
    assert settings["primary_color"] == "#112233"
    assert site_theme(tenant, db_session).logo is None
    image_blocks = [block for block in db_session.get(Page, home.id).blocks
                    if block["type"] in ("image", "image_with_text")]
    assert [block["data"]["media_id"] for block in image_blocks] == [None, other.id]
    assert image_blocks[0]["data"]["alt"] == "Hero"  # the block waits for a new image
    mug = db_session.scalar(select(Product).where(Product.tenant_id == tenant.id))
    assert mug.images == [f"/media/{other.storage_name}"]

    page = on_site(portal, tenant, "/")
    assert page.status_code == 200
    sources = img_sources(page.get_data(as_text=True))
    assert gone not in page.get_data(as_text=True)
    assert f"/media/{other.storage_name}" in sources
    for source in sources:  # no broken image
        assert on_site(portal, tenant, source.split(" ")[0]).status_code == 200, source


# Metadata of uploaded images

def with_metadata(kind: str, size=(1200, 600), **options) -> bytes:
    """A photo as a phone saves it: EXIF with the GPS position, the camera's serial number and
    orientation 6 (taken on its side)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Camera maker"
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 22.0, 5.0), 3: "E", 4: (4.0, 53.0, 0.0)})
    exif.get_ifd(0x8769)[0xA431] = "SERIAL-12345"
    return picture_bytes(*size, kind=kind, exif=exif, **options)


@pytest.mark.parametrize(("kind", "filename"), [("JPEG", "trip.jpg"), ("PNG", "trip.png"),
                                                ("WEBP", "trip.webp")])
def test_location_and_camera_metadata_never_reach_the_site(portal, db_session, kind, filename):
    upload = with_metadata(kind)
    assert Image.open(io.BytesIO(upload)).getexif().get_ifd(0x8825)  # the upload has a location
    assert portal.upload(upload, filename).status_code == 303
    row, = files_of(db_session, portal.tenant)
    with on_site(portal, portal.tenant, f"/media/{row.storage_name}") as public, \
            portal.get(f"/portal/media/{row.id}/file") as private:
        assert public.status_code == 200 and private.status_code == 200
        assert public.data == private.data
        served = public.data
    image = opened(served)
    assert image.format == kind
    assert dict(image.getexif()) == {} and not image.getexif().get_ifd(0x8825)
    assert b"SERIAL-12345" not in served and b"Camera maker" not in served
    assert image.size == (600, 1200)  # turned upright: width and height swapped
    assert row.size_bytes == len(served)  # what is stored counts against the plan
    assert media.bytes_used(db_session, portal.tenant.id) == len(served)


def test_a_cleaned_jpeg_keeps_its_colour_profile_and_subsampling(portal, db_session):
    from PIL import ImageCms, JpegImagePlugin

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    upload = with_metadata("JPEG", icc_profile=profile, subsampling=0, quality=95,
                           comment=b"taken at home")
    assert portal.upload(upload, "colour.jpg").status_code == 303
    row, = files_of(db_session, portal.tenant)
    served = on_site(portal, portal.tenant, f"/media/{row.storage_name}").data
    image = opened(served)
    assert image.info.get("icc_profile") == profile
    assert JpegImagePlugin.get_sampling(image) == 0  # 4:4:4 as uploaded
    assert b"taken at home" not in served and "comment" not in image.info
    for copy in row.variants:  # the copies carry no comment either
        assert b"taken at home" not in on_site(portal, portal.tenant,
                                               f"/media/{copy['storage_name']}").data


def test_an_image_without_metadata_is_stored_as_uploaded(portal, db_session):
    photo = picture_bytes(800, 600, "WEBP", lossless=True)
    assert portal.upload(photo, "plain.webp").status_code == 303
    row, = files_of(db_session, portal.tenant)
    assert on_site(portal, portal.tenant, f"/media/{row.storage_name}").data == photo


# When the storage cannot be reached

UNAVAILABLE = "File storage is unavailable right now; nothing was changed. Try again in a minute."


def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def storage_down(app, backend, tmp_path):
    """Call it to make the app's media storage unreachable: S3 at a closed loopback port, or a
    folder that cannot be made (a file is in its way)."""
    from tenants.media_storage import DirectoryStorage

    working = services(app)

    def down():
        if backend.backend == "s3":
            dead = S3Storage("contyzr-media", endpoint_url=f"http://127.0.0.1:{closed_port()}",
                             access_key_id="k", secret_access_key="s", region="eu-west-1")
        else:
            blocker = tmp_path / "not-a-folder"
            blocker.write_bytes(b"")
            dead = DirectoryStorage(blocker)
        install(app, dataclasses.replace(working, media=dead))

    yield down
    install(app, working)


def test_an_unreachable_storage_answers_503_and_changes_nothing(portal, app, db_session,
                                                               storage_down):
    photo = picture_bytes(1000, 500)
    assert portal.upload(photo, "kept.jpg").status_code == 303
    row, = files_of(db_session, portal.tenant)
    keys = portal.stored()
    storage_down()

    refused = portal.upload(png(), "new.png")
    assert refused.status_code == 503 and UNAVAILABLE in text(refused)
    assert "Media" in text(refused)  # the library again, with the message
    served = portal.get(f"/portal/media/{row.id}/file")
    assert served.status_code == 503 and UNAVAILABLE in text(served)
    public = on_site(portal, portal.tenant, f"/media/{row.storage_name}")
    assert public.status_code == 503 and UNAVAILABLE in text(public)
    deleted = portal.post_form(f"/portal/media/{row.id}/delete")
    assert deleted.status_code == 503 and UNAVAILABLE in text(deleted)
    exported = portal.get("/portal/export")
    assert exported.status_code == 503 and UNAVAILABLE in text(exported)

    db_session.expire_all()
    assert [found.id for found in files_of(db_session, portal.tenant)] == [row.id]
    assert portal.stored() == keys


def test_an_upload_whose_row_cannot_be_saved_leaves_no_files(portal, db_session, monkeypatch):
    from sqlalchemy.orm import Session

    commit = Session.commit

    def database_gone(session):
        """The commit of the new file's row fails (other commits go through)."""
        if any(isinstance(held, MediaFile) for held in session):
            raise RuntimeError("the database went away")
        commit(session)

    monkeypatch.setattr(Session, "commit", database_gone)
    try:
        answer = portal.upload(picture_bytes(1000, 500), "lost.jpg")
    except RuntimeError:  # the test app may let the error through
        pass
    else:
        assert answer.status_code == 500
    monkeypatch.undo()
    assert files_of(db_session, portal.tenant) == [] and portal.stored() == []


# A closed tenant's export, and the deletion after the retention period

def test_the_export_holds_the_uploaded_files(portal, db_session):
    import zipfile

    photo, document = picture_bytes(1000, 500), b"%PDF-1.4\n%%EOF"
    portal.upload(photo, "harbour.jpg")
    portal.upload(document, "menu.pdf")
    rows = {row.filename: row for row in files_of(db_session, portal.tenant)}
    export = portal.get("/portal/export")
    assert export.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(export.data))
    media_names = sorted(name for name in archive.namelist() if name.startswith("media/"))
    assert media_names == sorted([f"media/{rows['harbour.jpg'].id}-harbour.jpg",
                                  f"media/{rows['menu.pdf'].id}-menu.pdf"])  # no copies
    assert archive.read(f"media/{rows['harbour.jpg'].id}-harbour.jpg") == photo
    assert archive.read(f"media/{rows['menu.pdf'].id}-menu.pdf") == document


def test_deletion_after_retention_leaves_no_file_of_the_tenant(portal, app, db_session):
    from tenants.media_storage import key_of
    from tenants.retention import delete_data

    portal.upload(picture_bytes(2000, 1000), "harbour.jpg")
    portal.upload(b"%PDF-1.4\n%%EOF", "menu.pdf")
    storage = services(app).media
    storage.put(key_of(portal.tenant.id, "leftover.png"), png(), "image/png")  # no row names it
    other = factories.tenant(app, db_session)
    storage.put(key_of(other.id, "theirs.png"), png(), "image/png")
    assert len(portal.stored()) == 6  # two uploads, three copies, the leftover

    tenant = db_session.get(Tenant, portal.tenant.id)
    delete_data(db_session, tenant, storage)
    db_session.commit()
    assert files_of(db_session, tenant) == [] and portal.stored() == []
    assert storage.get(key_of(other.id, "theirs.png")) == png()  # another tenant's stay
    storage.delete(key_of(other.id, "theirs.png"))
