"""The media library: uploads counted against the plan's storage, served to the tenant's users.

When the storage cannot be reached, uploading, deleting and serving raise
``media.StorageUnavailable``, a ``Refused`` with status 503: the refusal handler rolls back and
says so (beside the upload form, or on the error page)."""

from __future__ import annotations

import io

from flask import abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from db.models import MediaFile
from plans.entitlements import MB, over_limit_ids, plan_of
from tenants import media
from tenants.scope import get_scoped, scoped
from web.extensions import db
from web.refusals import show_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import catalog
from worker.services import services

THUMBNAIL_WIDTH = 96  # pixels, in the library's list


class UploadForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to upload."))],
                     description=_l(
        "PNG, JPEG, GIF, WebP and PDF files of at most %(size)s MB; images of at most "
        "%(megapixels)s megapixels. SVG files are refused for safety: they can carry scripts. "
        "Smaller copies of each image are made for phones and tablets; they do not count "
        "against your plan's storage.", size=media.MAX_FILE_BYTES // MB,
        megapixels=media.MAX_PIXELS // 1_000_000))


def size_label(size: int) -> str:
    """1536 -> '1.5 KB' (English), '1,5 KB' (Dutch)."""
    if size < 1024:
        return ngettext("%(num)s byte", "%(num)s bytes", size)
    if size < MB:
        return _("%(amount)s KB", amount=format_decimal(size / 1024, "0.0"))
    return _("%(amount)s MB", amount=format_decimal(size / MB, "0.0"))


def thumbnail(row: MediaFile) -> dict | None:
    """The ``<img>`` of an image in the list: its narrowest copy, shown at most
    ``THUMBNAIL_WIDTH`` pixels wide."""
    if media.picture(row) is None:
        return None
    source = media.thumbnail_width(row)
    shown = {}
    if row.width and row.height:
        width = min(THUMBNAIL_WIDTH, row.width)
        shown = {"width": width, "height": max(1, round(row.height * width / row.width))}
    return {"src": url_for("portal.media_file", media_id=row.id, width=source), **shown}


def _media_or_404(media_id: int) -> MediaFile:
    return get_scoped(db.session, MediaFile, g.tenant.id, media_id) or abort(404)


def _library(form: UploadForm):
    rows = db.session.scalars(scoped(MediaFile, g.tenant.id).order_by(MediaFile.id.desc())).all()
    return render_template(
        "portal/media/index.html", form=form, files=rows, labels=media.LABELS,
        size_label=size_label, thumbnail=thumbnail,
        used=media.bytes_used(db.session, g.tenant.id),
        limit_mb=plan_of(catalog(), g.tenant).limit("media_mb"),
        over_limit=over_limit_ids(db.session, catalog(), g.tenant, "media_mb")), \
        422 if form.errors else 200


@bp.get("/media", endpoint="media")
def media_library():
    return _library(UploadForm())


@bp.post("/media/upload")
def upload_media():
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        show_refusals(form, lambda: _library(form))
        row = media.store(db.session, catalog(), g.tenant, services().media,
                          upload.filename or "", upload.stream)
        with media.removed_unless(services().media, row):
            db.session.commit()
        flash(_("“%(name)s” is uploaded (%(size)s).", name=row.filename,
                size=size_label(row.size_bytes)), "info")
        return redirect(url_for("portal.media"), code=303)
    return _library(form)


@bp.get("/media/<int:media_id>/file")
def media_file(media_id: int):
    """The file, or with ``?width=`` one of its smaller copies."""
    row = _media_or_404(media_id)
    width = request.args.get("width", type=int)
    data = media.read(services().media, row, width)
    if data is None:
        abort(404, description=_("This file is missing from storage. Delete it and upload it "
                                 "again.") if width is None
              else _("There is no copy of this image in that width."))
    response = send_file(io.BytesIO(data), mimetype=row.content_type,
                         download_name=row.filename, conditional=True,
                         etag=f"{row.storage_name}-{width or 'original'}",
                         last_modified=row.created_at)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    return response


@bp.post("/media/<int:media_id>/delete")
def delete_media(media_id: int):
    """Deletes at once a file used nowhere; a file in use only once the confirmation page,
    which names where it is used, is answered with ``confirm=1``."""
    row = _media_or_404(media_id)
    places = media.usages(db.session, g.tenant.id, row.id)
    if places and request.form.get("confirm") != "1":
        return render_template("portal/media/confirm_delete.html", file=row, places=places), 409
    name = row.filename
    media.delete(db.session, services().media, row)
    db.session.commit()
    flash(_("“%(name)s” is deleted.", name=name), "info")
    return redirect(url_for("portal.media"), code=303)
