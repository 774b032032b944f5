"""Uploaded files. A file is accepted when both its first bytes and its name say it is one of
``FILE_TYPES``; it counts in bytes against the plan's storage, and is stored as
``<media root>/<tenant id>/<random name>``: nothing the uploader chose reaches the filesystem.
The uploaded name is kept for display only.

After a downgrade to less storage than is used, nothing is deleted: the oldest files up to the
plan's storage stay on the public site, newer ones are kept for the portal only (see
``plans.entitlements.kept``), and uploads are refused until enough is deleted.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import func
from sqlalchemy.orm import Session

from db.models import MediaFile, Tenant
from db.refusals import Refused
from plans.catalog import Catalog
from plans.entitlements import MB, media_bytes_fit
from tenants.scope import scoped

MAX_FILE_BYTES = 10 * MB
MAX_NAME_LENGTH = 255  # MediaFile.filename


@dataclass(frozen=True)
class FileType:
    content_type: str
    label: str
    extensions: tuple[str, ...]  # the first is the one we store it under
    sniff: Callable[[bytes], bool]  # do these first bytes start a file of this type?


FILE_TYPES = (
    FileType("image/png", "PNG image", ("png",), lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    FileType("image/jpeg", "JPEG image", ("jpg", "jpeg"), lambda head: head.startswith(b"\xff\xd8\xff")),
    FileType("image/gif", "GIF image", ("gif",), lambda head: head.startswith((b"GIF87a", b"GIF89a"))),
    FileType("image/webp", "WebP image", ("webp",),
             lambda head: head.startswith(b"RIFF") and head[8:12] == b"WEBP"),
    FileType("application/pdf", "PDF document", ("pdf",), lambda head: head.startswith(b"%PDF-")),
)
LABELS = {file_type.content_type: file_type.label for file_type in FILE_TYPES}
SVG_EXTENSIONS = ("svg", "svgz")
ALLOWED = "PNG, JPEG, GIF, WebP and PDF"


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
        raise Refused("SVG files are refused for safety: they can carry scripts that would run "
                      "on your site. Upload the image as PNG or WebP instead.", "file")
    if named is None:
        raise Refused(f"Only {ALLOWED} files can be uploaded.", "file")
    raise Refused(f"This file's name ends in .{extension}, but its contents are not a "
                  f"{named.label}. Only {ALLOWED} files can be uploaded.", "file")


def bytes_used(session: Session, tenant_id: int) -> int:
    query = scoped(MediaFile, tenant_id).with_only_columns(
        func.coalesce(func.sum(MediaFile.size_bytes), 0))
    return int(session.scalar(query))


def path_of(media_root: str, row: MediaFile) -> Path:
    return Path(media_root) / str(row.tenant_id) / row.storage_name


def store(session: Session, catalog: Catalog, tenant: Tenant, media_root: str, filename: str,
          stream: BinaryIO) -> MediaFile:
    """Check and keep an uploaded file. Raises ``Refused`` for a file that is empty, too
    large or not of an allowed type, ``LimitReached`` when it does not fit the plan's storage
    (checked under the tenant's lock). Flushes, then writes the file."""
    data = stream.read(MAX_FILE_BYTES + 1)
    if not data:
        raise Refused("This file is empty.", "file")
    if len(data) > MAX_FILE_BYTES:
        raise Refused(f"Files can be at most {MAX_FILE_BYTES // MB} MB.", "file")
    name = display_name(filename)
    file_type = file_type_of(name, data)
    media_bytes_fit(session, catalog, tenant, len(data))
    row = MediaFile(tenant_id=tenant.id, filename=name, content_type=file_type.content_type,
                    storage_name=f"{secrets.token_hex(16)}.{file_type.extensions[0]}",
                    size_bytes=len(data))
    session.add(row)
    session.flush()
    path = path_of(media_root, row)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as target:
        target.write(data)
    return row


def delete(session: Session, media_root: str, row: MediaFile) -> None:
    """Remove the row and the file, which frees the space. Flushes."""
    session.delete(row)
    session.flush()
    path_of(media_root, row).unlink(missing_ok=True)
