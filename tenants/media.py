"""Uploaded files. A file is accepted when both its first bytes and its name say it is one of
``FILE_TYPES``, and an image only when Pillow can read all of it and it has at most
``MAX_PIXELS`` pixels (no decompression bombs). It counts in bytes against the plan's storage,
and is stored through the app's ``MediaStorage`` (``tenants/media_storage.py``) under
``<tenant id>/<random name>``: nothing the uploader chose reaches a path or a key. The uploaded
name is kept for display only.

An uploaded JPEG, PNG or WebP that carries metadata beyond its colour profile (EXIF with a
camera's serial number or the GPS position, XMP, comments, text chunks) is stored cleaned: turned
as its EXIF orientation says, without any metadata but the colour profile (a JPEG saved again at
``ORIGINAL_QUALITY`` with its chroma subsampling). The cleaned bytes are what counts against the
plan. An image without such metadata is stored byte for byte as uploaded.

Images get smaller copies (``VARIANT_WIDTHS`` narrower than the original, same format, turned
as their EXIF orientation says, without metadata), stored beside the original and listed in
``MediaFile.variants``; they are ours and do not count against the plan. ``picture`` gives
templates what an ``<img srcset>`` needs; ``usages`` (``tenants/media_usage.py``) says where a
file is used.

After a downgrade to less storage than is used, nothing is deleted: the oldest files up to the
plan's storage stay on the public site, newer ones are kept for the portal only (see
``plans.entitlements.kept``), and uploads are refused until enough is deleted.
"""

from __future__ import annotations

import contextlib
import io
import secrets
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps
from sqlalchemy import func
from sqlalchemy.orm import Session

from db.messages import N_, Message
from db.models import MediaFile, Tenant
from db.refusals import Refused
from plans.catalog import Catalog
from plans.entitlements import MB, media_bytes_fit
from tenants.media_storage import MediaStorage, StorageUnavailable, key_of
from tenants.media_usage import forget, usages
from tenants.scope import scoped

__all__ = ["Picture", "StorageUnavailable", "bytes_used", "delete", "picture", "removed_unless",
           "store", "usages"]

MAX_FILE_BYTES = 10 * MB
MAX_NAME_LENGTH = 255  # MediaFile.filename
MAX_PIXELS = 40_000_000  # 40 megapixels: a large camera photo; more is refused
VARIANT_WIDTHS = (480, 960, 1600)
ORIGINAL_QUALITY = 92  # a cleaned JPEG or lossy WebP original, saved again
CLEANED_FORMATS = ("JPEG", "PNG", "WEBP")
# What a decoded image's ``info`` may hold that is not metadata about the person or camera.
HARMLESS_INFO = frozenset({
    "icc_profile", "transparency", "dpi", "jfif", "jfif_version", "jfif_unit", "jfif_density",
    "adobe", "adobe_transform", "progressive", "progression", "gamma", "srgb", "chromaticity",
    "aspect", "loop", "background", "duration", "timestamp", "interlace", "optimize",
})
# JPEG segments that are not metadata: JFIF (APP0), the colour profile (APP2 ICC_PROFILE) and
# Adobe's colour transform (APP14).
HARMLESS_JPEG_SEGMENTS = ("APP0", "APP14")


@dataclass(frozen=True)
class FileType:
    content_type: str
    label: str
    extensions: tuple[str, ...]  # the first is the one we store it under
    sniff: Callable[[bytes], bool]  # do these first bytes start a file of this type?
    pillow_format: str | None = None  # images: the format Pillow reads and writes


FILE_TYPES = (
    FileType("image/png", N_("PNG image"), ("png",), lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
             "PNG"),
    FileType("image/jpeg", N_("JPEG image"), ("jpg", "jpeg"), lambda head: head.startswith(b"\xff\xd8\xff"),
             "JPEG"),
    FileType("image/gif", N_("GIF image"), ("gif",), lambda head: head.startswith((b"GIF87a", b"GIF89a")),
             "GIF"),
    FileType("image/webp", N_("WebP image"), ("webp",),
             lambda head: head.startswith(b"RIFF") and head[8:12] == b"WEBP", "WEBP"),
    FileType("application/pdf", N_("PDF document"), ("pdf",), lambda head: head.startswith(b"%PDF-")),
)
LABELS = {file_type.content_type: file_type.label for file_type in FILE_TYPES}
SVG_EXTENSIONS = ("svg", "svgz")
ALLOWED = "PNG, JPEG, GIF, WebP and PDF"
ONLY_ALLOWED = N_("Only PNG, JPEG, GIF, WebP and PDF files can be uploaded.")


def display_name(filename: str) -> str:
    """The uploaded name without any folders or control characters, for showing only."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(character for character in name if character.isprintable()).strip()
    return name[-MAX_NAME_LENGTH:] or "file"


def _looks_like_svg(name_extension: str, data: bytes) -> bool:
    return name_extension in SVG_EXTENSIONS or b"<svg" in data[:1024].lower()


def file_type_of(name: str, data: bytes) -> FileType:
    """The type the name and the contents agree on; raises ``Refused`` otherwise."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    named = next((kind for kind in FILE_TYPES if extension in kind.extensions), None)
    if named is not None and named.sniff(data[:16]):
        return named
    if _looks_like_svg(extension, data):
        raise Refused(N_("SVG files are refused for safety: they can carry scripts that would "
                         "run on your site. Upload the image as PNG or WebP instead."), "file")
    if named is None:
        raise Refused(ONLY_ALLOWED, "file")
    if named.pillow_format is None:
        template = N_("This file's name ends in .%(extension)s, but its contents are not a "
                      "%(format)s document. Only PNG, JPEG, GIF, WebP and PDF files can be "
                      "uploaded.")
    else:
        template = N_("This file's name ends in .%(extension)s, but its contents are not a "
                      "%(format)s image. Only PNG, JPEG, GIF, WebP and PDF files can be uploaded.")
    raise Refused(Message(template, extension=extension, format=_format_name(named)), "file")


def _format_name(file_type: FileType) -> str:
    """'PNG image' -> 'PNG': the format's own name, the same in every language."""
    return file_type.label.split()[0]



def _too_many_pixels(size: tuple[int, int] | None = None) -> Refused:
    if size:
        return Refused(Message(N_("This image is too large (%(width)s × %(height)s pixels): "
                                  "images can have at most %(megapixels)s megapixels. Scale it "
                                  "down and upload it again."), width=size[0], height=size[1],
                               megapixels=MAX_PIXELS // 1_000_000), "file")
    return Refused(Message(N_("This image is too large: images can have at most %(megapixels)s "
                              "megapixels. Scale it down and upload it again."),
                           megapixels=MAX_PIXELS // 1_000_000), "file")


def _unreadable(file_type: FileType) -> Refused:
    if file_type.pillow_format is None:
        template = N_("This file could not be read as a %(format)s document: it is damaged or "
                      "incomplete. Save or export it again and upload the new copy.")
    else:
        template = N_("This file could not be read as a %(format)s image: it is damaged or "
                      "incomplete. Save or export it again and upload the new copy.")
    return Refused(Message(template, format=_format_name(file_type)), "file")


def _decoded(data: bytes, file_type: FileType) -> Image.Image:
    """The image, decoded in full. Raises ``Refused`` when it has more than ``MAX_PIXELS``
    pixels (checked from its header, before decoding) or cannot be read to its end."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[file_type.pillow_format])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except Exception:  # noqa: BLE001 - Pillow raises many kinds on malformed files
            raise _unreadable(file_type) from None
        if image.width * image.height > MAX_PIXELS:
            raise _too_many_pixels(image.size)
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels(image.size) from None
        except Exception:  # noqa: BLE001 - truncated data, bad checksums, broken chunks...
            raise _unreadable(file_type) from None
    return image


def _web_ready(image: Image.Image, pillow_format: str) -> Image.Image:
    """The image in a mode its format saves and browsers show (palettes widened, so that
    resizing blends colours)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if pillow_format == "JPEG":
        wanted = "L" if image.mode == "L" else "RGB"
    elif image.mode in ("RGB", "RGBA", "L") or (image.mode == "LA" and pillow_format == "PNG"):
        return image
    else:
        wanted = "RGBA" if has_alpha else "RGB"
    return image if image.mode == wanted else image.convert(wanted)


def _encoded(image: Image.Image, pillow_format: str, icc_profile: bytes | None) -> bytes:
    """The image's bytes in ``pillow_format`` with no metadata but its colour profile."""
    options: dict = {"icc_profile": icc_profile} if icc_profile else {}
    if pillow_format == "JPEG":
        options.update(quality=85, optimize=True, progressive=True)
    elif pillow_format == "WEBP":
        options.update(quality=82, method=4)
    out = io.BytesIO()
    image.save(out, format=pillow_format, **options)
    return out.getvalue()


def _carries_metadata(image: Image.Image) -> bool:
    """Does the decoded image carry metadata other than its colour profile?"""
    if set(image.info) - HARMLESS_INFO or getattr(image, "text", None):
        return True
    if image.getexif():
        return True
    for marker, segment in getattr(image, "applist", ()):
        if marker in HARMLESS_JPEG_SEGMENTS or (marker == "APP2"
                                                and segment.startswith(b"ICC_PROFILE\0")):
            continue
        return True
    return False


def _webp_is_lossless(data: bytes) -> bool:
    """Is this (still) WebP file's picture lossless (a VP8L chunk) rather than lossy (VP8)?"""
    position = 12
    while position + 8 <= len(data):
        kind, size = data[position:position + 4], int.from_bytes(data[position + 4:position + 8],
                                                                   "little")
        if kind in (b"VP8L", b"VP8 "):
            return kind == b"VP8L"
        position += 8 + size + (size & 1)
    return False


def _cleaned(image: Image.Image, upright: Image.Image, data: bytes, pillow_format: str,
             icc_profile: bytes | None) -> bytes:
    """The upright image saved again with nothing but its colour profile, as close to the
    upload as the format allows (JPEG: high quality, the same chroma subsampling; WebP:
    lossless when the upload was)."""
    options: dict = {"icc_profile": icc_profile} if icc_profile else {}
    if "transparency" in upright.info:
        options["transparency"] = upright.info["transparency"]
    if pillow_format == "JPEG":
        from PIL import JpegImagePlugin

        options.update(quality=ORIGINAL_QUALITY, optimize=True)
        subsampling = JpegImagePlugin.get_sampling(image)
        if subsampling != -1:
            options["subsampling"] = subsampling
        if image.info.get("progressive"):
            options["progressive"] = True
    elif pillow_format == "WEBP":
        if _webp_is_lossless(data):
            options.update(lossless=True)
        else:
            options.update(quality=ORIGINAL_QUALITY)
    out = io.BytesIO()
    upright.save(out, format=pillow_format, **options)
    return out.getvalue()


@dataclass(frozen=True)
class _Sized:
    width: int
    height: int
    variants: tuple[tuple[int, int, bytes], ...]  # (width, height, bytes), narrowest first
    cleaned: bytes | None = None  # the original to store instead of the upload, if any


def _sized(data: bytes, file_type: FileType) -> _Sized:
    """The image's size as shown (EXIF orientation applied), its smaller copies, and the
    cleaned original when the upload carries metadata. GIFs and animations keep only their
    original."""
    image = _decoded(data, file_type)
    icc_profile = image.info.get("icc_profile")
    animated = getattr(image, "is_animated", False)
    carries_metadata = file_type.pillow_format in CLEANED_FORMATS and _carries_metadata(image)
    upright = ImageOps.exif_transpose(image) or image.copy()
    # Nothing of the upload's metadata is passed on (Pillow copies ``info`` into new images
    # and some encoders write parts of it, e.g. a JPEG comment).
    upright.info = {key: value for key, value in upright.info.items() if key == "transparency"}
    width, height = upright.size
    if file_type.pillow_format == "GIF" or animated:
        return _Sized(width, height, ())
    cleaned = None
    if carries_metadata:
        cleaned = _cleaned(image, upright, data, file_type.pillow_format, icc_profile)
    ready = _web_ready(upright, file_type.pillow_format)
    if ready.mode[0] != upright.mode[0]:  # another colour space (CMYK to RGB): its profile is wrong
        icc_profile = None
    variants = []
    for variant_width in VARIANT_WIDTHS:
        if variant_width >= width:
            break
        variant_height = max(1, round(height * variant_width / width))
        smaller = ready.resize((variant_width, variant_height), Image.Resampling.LANCZOS,
                               reducing_gap=3.0)
        variants.append((variant_width, variant_height,
                         _encoded(smaller, file_type.pillow_format, icc_profile)))
    return _Sized(width, height, tuple(variants), cleaned)


def bytes_used(session: Session, tenant_id: int) -> int:
    query = scoped(MediaFile, tenant_id).with_only_columns(
        func.coalesce(func.sum(MediaFile.size_bytes), 0))
    return int(session.scalar(query))


def stored_names(row: MediaFile) -> list[str]:
    """The storage names of the file and its smaller copies."""
    return [row.storage_name, *(variant["storage_name"] for variant in row.variants or ())]


def _keys(row: MediaFile) -> list[str]:
    """The storage keys of the file and its copies, the copies first (deleted before the
    original, so that a deletion cut short leaves the file itself readable)."""
    names = stored_names(row)
    return [key_of(row.tenant_id, name) for name in [*names[1:], names[0]]]


def _put_all(storage: MediaStorage, tenant_id: int, files: list[tuple[str, bytes]],
             content_type: str) -> None:
    """Store every file, or (when one fails) none of them."""
    written: list[str] = []
    try:
        for name, data in files:
            key = key_of(tenant_id, name)
            storage.put(key, data, content_type)
            written.append(key)
    except BaseException:
        for key in written:
            with contextlib.suppress(Exception):
                storage.delete(key)
        raise


def store(session: Session, catalog: Catalog, tenant: Tenant, storage: MediaStorage,
          filename: str, stream: BinaryIO) -> MediaFile:
    """Check and keep an uploaded file with its smaller copies. Raises ``Refused`` for a file
    that is empty, too large, not of an allowed type, or an image that cannot be read or has
    too many pixels; ``LimitReached`` when it does not fit the plan's storage (checked under
    the tenant's lock); ``StorageUnavailable`` when the storage cannot be reached (nothing
    is kept: the caller rolls back). Flushes, then stores the files; commit inside
    ``removed_unless`` so that a failed commit leaves no files behind."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if not data:
        raise Refused(N_("This file is empty."), "file")
    if len(data) > MAX_FILE_BYTES:
        raise Refused(Message(N_("Files can be at most %(size)s MB."), size=MAX_FILE_BYTES // MB), "file")
    name = display_name(filename)
    file_type = file_type_of(name, data)
    sized = _sized(data, file_type) if file_type.pillow_format else None
    if sized is not None and sized.cleaned is not None:
        data = sized.cleaned
    media_bytes_fit(session, catalog, tenant, len(data))
    base, extension = secrets.token_hex(16), file_type.extensions[0]
    files = [(f"{base}.{extension}", data)]
    variants = []
    for width, height, variant in sized.variants if sized else ():
        files.append((f"{base}-{width}.{extension}", variant))
        variants.append({"width": width, "height": height, "storage_name": files[-1][0]})
    row = MediaFile(tenant_id=tenant.id, filename=name, content_type=file_type.content_type,
                    storage_name=files[0][0], size_bytes=len(data),
                    width=sized.width if sized else None, height=sized.height if sized else None,
                    variants=variants)
    session.add(row)
    session.flush()
    _put_all(storage, tenant.id, files, file_type.content_type)
    return row


@contextlib.contextmanager
def removed_unless(storage: MediaStorage, row: MediaFile):
    """Around the commit of a stored upload: when the block fails (the row could not be
    written), the file and its copies are removed from storage too."""
    keys = _keys(row)
    try:
        yield
    except BaseException:
        for key in keys:
            with contextlib.suppress(Exception):
                storage.delete(key)
        raise


def delete(session: Session, storage: MediaStorage, row: MediaFile) -> None:
    """Remove the row, the file and its smaller copies, which frees the space, and every
    reference to it (``media_usage.forget``): pages' and posts' image columns become empty
    (their foreign keys say so), image blocks keep their place without an image, the site
    settings drop it. Raises ``StorageUnavailable`` when the storage cannot be reached,
    checked before anything is deleted (the caller rolls back). Flushes."""
    keys = _keys(row)
    storage.exists(keys[-1])  # reachable? raises StorageUnavailable before any change
    forget(session, row)
    session.delete(row)
    session.flush()
    for key in keys:
        storage.delete(key)


def read(storage: MediaStorage, row: MediaFile, width: int | None = None) -> bytes | None:
    """The file's bytes, or those of its copy ``width`` pixels wide; None when missing."""
    if width is None:
        return read_named(storage, row, row.storage_name)
    name = next((variant["storage_name"] for variant in row.variants or ()
                 if variant["width"] == width), None)
    return read_named(storage, row, name) if name is not None else None


def read_named(storage: MediaStorage, row: MediaFile, storage_name: str) -> bytes | None:
    """The bytes of the file or of its copy called ``storage_name``; None when that is
    neither, or is missing from storage."""
    if storage_name not in stored_names(row):
        return None
    return storage.get(key_of(row.tenant_id, storage_name))


@dataclass(frozen=True)
class Picture:
    """What an ``<img>`` of a file needs: ``src`` and ``srcset`` are addresses on the
    tenant's site ("/media/<name>"; srcset "<url> <width>w, ...", narrowest first, the
    original last). ``width`` and ``height`` are the original's, in pixels; None (and an
    empty srcset) only for images stored before sizes were recorded."""

    src: str
    srcset: str
    width: int | None
    height: int | None


def picture(row: MediaFile | None) -> Picture | None:
    """The picture of an image file; None for other files (and for no file)."""
    if row is None or not row.content_type.startswith("image/"):
        return None
    src = f"/media/{row.storage_name}"
    if row.width is None or row.height is None:
        return Picture(src, "", None, None)
    entries = [f"/media/{variant['storage_name']} {variant['width']}w"
               for variant in row.variants or ()]
    return Picture(src, ", ".join([*entries, f"{src} {row.width}w"]), row.width, row.height)


def thumbnail_width(row: MediaFile) -> int | None:
    """The width of the narrowest copy of an image, for the portal's thumbnails; None when
    the original is the only one."""
    return row.variants[0]["width"] if row.variants else None
