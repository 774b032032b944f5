"""The media library: uploads counted against the plan's storage, served to the tenant's users."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, send_file, url_for
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


class UploadForm(FlaskForm):
    file = FileField("File", validators=[FileRequired("Choose a file to upload.")], description=(
        f"{media.ALLOWED} files of at most {media.MAX_FILE_BYTES // MB} MB. SVG files are "
        "refused for safety: they can carry scripts."))


def size_label(size: int) -> str:
    """1536 -> '1.5 KB'."""
    if size < 1024:
        return f"{size} bytes"
    if size < MB:
        return f"{size / 1024:.1f} KB"
    return f"{size / MB:.1f} MB"


def _root() -> str:
    return current_app.config["MEDIA_ROOT"]


def _media_or_404(media_id: int) -> MediaFile:
    return get_scoped(db.session, MediaFile, g.tenant.id, media_id) or abort(404)


def _library(form: UploadForm):
    rows = db.session.scalars(scoped(MediaFile, g.tenant.id).order_by(MediaFile.id.desc())).all()
    return render_template(
        "portal/media/index.html", form=form, files=rows, labels=media.LABELS,
        size_label=size_label, used=media.bytes_used(db.session, g.tenant.id),
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
        row = media.store(db.session, catalog(), g.tenant, _root(), upload.filename or "",
                          upload.stream)
        db.session.commit()
        flash(f"\u201c{row.filename}\u201d is uploaded ({size_label(row.size_bytes)}).", "info")
        return redirect(url_for("portal.media"), code=303)
    return _library(form)


@bp.get("/media/<int:media_id>/file")
def media_file(media_id: int):
    row = _media_or_404(media_id)
    path = media.path_of(_root(), row)
    if not path.is_file():
        abort(404, description="This file is missing from storage. Delete it and upload it again.")
    response = send_file(path, mimetype=row.content_type, download_name=row.filename,
                         conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    return response


@bp.post("/media/<int:media_id>/delete")
def delete_media(media_id: int):
    row = _media_or_404(media_id)
    name = row.filename
    media.delete(db.session, _root(), row)
    db.session.commit()
    flash(f"\u201c{name}\u201d is deleted.", "info")
    return redirect(url_for("portal.media"), code=303)
