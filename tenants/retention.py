"""A closed tenant's data: exported on request, deleted when the retention period ends.

Media files are read and deleted through the app's ``MediaStorage`` (a folder or an S3 store):
the export holds each file as uploaded (or as cleaned at upload), not the smaller copies; the
deletion removes every object under the tenant's prefix, copies and leftovers included. Both
raise ``StorageUnavailable`` when the storage cannot be reached (the deletion then changes
nothing and runs again at the next hour).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import ApiKey, Invite, LoginToken, MediaFile, Page, Post, Product, Tenant, User
from db.models.tenants import BillingState, Role
from tenants.media import stored_names
from tenants.media_storage import MediaStorage, key_of, tenant_prefix
from tenants.scope import scoped


def _rows(session: Session, model, tenant_id: int, columns: list[str]) -> list[dict]:
    return [{column: _plain(getattr(row, column)) for column in columns}
            for row in session.scalars(scoped(model, tenant_id).order_by(model.id))]


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_archive(session: Session, tenant: Tenant, storage: MediaStorage) -> bytes:
    """Pages, posts, products (JSON) and media files, as one zip archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pages.json", json.dumps(_rows(
            session, Page, tenant.id,
            ["slug", "title", "position", "in_navigation", "published", "blocks"]), indent=2))
        archive.writestr("posts.json", json.dumps(_rows(
            session, Post, tenant.id, ["slug", "title", "body", "published_at"]), indent=2))
        archive.writestr("products.json", json.dumps(_rows(
            session, Product, tenant.id,
            ["slug", "name", "description", "price_cents", "currency", "stock", "active",
             "images"]), indent=2))
        for media in session.scalars(scoped(MediaFile, tenant.id).order_by(MediaFile.id)):
            data = storage.get(key_of(tenant.id, media.storage_name))
            if data is not None:
                archive.writestr(f"media/{media.id}-{Path(media.filename).name}", data)
    return buffer.getvalue()


def delete_data(session: Session, tenant: Tenant, storage: MediaStorage) -> None:
    """Delete the tenant's content, media (every stored object of the tenant) and accounts but
    the owner's; keep the tenant row (for the records and revenue history). Flushes."""
    keys = {key_of(tenant.id, name)
            for media in session.scalars(scoped(MediaFile, tenant.id))
            for name in stored_names(media)}
    keys.update(storage.keys(tenant_prefix(tenant.id)))  # copies and files no row names
    for model in (Page, Post, Product, MediaFile, ApiKey, Invite, LoginToken):
        session.execute(delete(model).where(model.tenant_id == tenant.id))
    owner_ids = select(User.id).where(User.tenant_id == tenant.id, User.role == Role.OWNER)
    session.execute(delete(User).where(User.tenant_id == tenant.id, User.id.not_in(owner_ids)))
    tenant.billing_state, tenant.data_deleted_at = BillingState.DELETED, utcnow()
    session.flush()
    for key in sorted(keys):
        storage.delete(key)
