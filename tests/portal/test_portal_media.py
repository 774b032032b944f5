"""The media library: checked uploads, storage against the plan, files kept in the tenant's folder."""

import html
import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import MediaFile
from tenants.media import MAX_FILE_BYTES
from worker.services import services

import factories
from support import csrf_token

MB = 1024 * 1024


def text(response) -> str:
    """The page as a person reads it: no tags, entities decoded, white space collapsed."""
    words = re.sub(r"<[^>]*>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(words))


def png(size: int | None = None) -> bytes:
    """A real 1×1 PNG, padded with trailing bytes to ``size`` when given."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    image = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
             + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))
    return image if size is None else image + b"\x00" * (size - len(image))


@pytest.fixture
def media_root(app, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "media"
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(root))
    return root


@pytest.fixture
def portal(owner_client, media_root):
    token = csrf_token(owner_client, "/portal/media")

    def upload(data: bytes, filename: str, follow=False):
        response = owner_client.post("/portal/media/upload", content_type="multipart/form-data",
                                     data={"csrf_token": token, "file": (io.BytesIO(data), filename)})
        response.request.input_stream.close()  # the test client keeps a large body in a temp file
        return owner_client.get(response.headers["Location"]) if follow else response

    def post(url, follow=False):
        return owner_client.post(url, data={"csrf_token": token}, follow_redirects=follow)

    owner_client.upload, owner_client.post_form = upload, post
    return owner_client


def files_of(db_session, tenant) -> list[MediaFile]:
    return list(db_session.scalars(select(MediaFile).where(MediaFile.tenant_id == tenant.id)))


def stored(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


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
    assert files_of(db_session, portal.tenant) == [] and stored(media_root) == []


def test_the_uploaded_name_never_reaches_the_filesystem(portal, db_session, media_root):
    assert portal.upload(png(), "../../etc/passwd.png").status_code == 303
    row, = files_of(db_session, portal.tenant)
    assert row.filename == "passwd.png"
    path, = stored(media_root)
    assert path.parent == media_root / str(portal.tenant.id)
    assert path.name == row.storage_name and "passwd" not in path.name
    assert re.fullmatch(r"[0-9a-f]{32}\.png", path.name)


def test_deleting_a_file_frees_its_space(portal, db_session, media_root):
    portal.upload(png(3 * MB), "photo.png")
    assert "Media storage : 3 MB of 1 GB" in text(portal.get("/portal/"))
    row, = files_of(db_session, portal.tenant)
    response = portal.post_form(f"/portal/media/{row.id}/delete", follow=True)
    assert "“photo.png” is deleted." in text(response) and "No files yet." in text(response)
    assert files_of(db_session, portal.tenant) == [] and stored(media_root) == []
    assert "Media storage : 0 MB of 1 GB" in text(portal.get("/portal/"))


def test_storage_limit_at_its_edge(portal, app, db_session, media_root, monkeypatch):
    monkeypatch.setitem(services(app).catalog.plan("starter").limits, "media_mb", 2)
    assert portal.upload(png(MB), "one.png").status_code == 303
    assert portal.upload(png(MB), "two.png").status_code == 303  # exactly the 2 MB allowed
    response = portal.upload(png(), "three.png", follow=True)
    assert ("You have reached your plan's limit of 2 MB of media storage. Nothing was created."
            in text(response))
    assert [row.filename for row in files_of(db_session, portal.tenant)] == ["one.png", "two.png"]
    assert len(stored(media_root)) == 2


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


def test_uploaded_images_are_served_on_the_public_site(owner_client, db_session):
    from db.models import MediaFile

    tenant = owner_client.tenant
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    response = owner_client.post("/portal/media/upload", data={
        "file": (io.BytesIO(data), "logo.png"),
        "csrf_token": csrf_token(owner_client, "/portal/media")},
        content_type="multipart/form-data")
    assert response.status_code == 303
    row = db_session.scalar(select(MediaFile).where(MediaFile.tenant_id == tenant.id))
    host = {"Host": f"{tenant.subdomain}.example.test"}
    with owner_client.get(f"/media/{row.storage_name}", headers=host) as served:
        assert served.status_code == 200 and served.data == data
        assert served.mimetype == "image/png"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert owner_client.get("/media/../../etc/passwd", headers=host).status_code == 404
    assert owner_client.get("/media/nope.png", headers=host).status_code == 404
