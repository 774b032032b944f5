"""The revision history in the portal's editors: each save of a page, post or product keeps a
revision (``tenants/revisions.py``), marked when it holds what the writing assistant wrote;
the editors show the latest."""

from __future__ import annotations

from flask import request
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from db.models import Page, Post, Product, Revision
from db.models.revisions import Change
from tenants import revisions
from web.extensions import db
from web.tenant_portal import bp
from web.tenant_portal.labels import block_label
from web.tenant_portal.languages import language_name


def keep_revision(item: Page | Post | Product, change: Change, *, detail: str | None = None,
                  translation=None) -> Revision:
    """The revision of what was just saved, with the assistant's proposals the form carried."""
    return revisions.record(db.session, current_user.user_id, item, change, detail=detail,
                            translation=translation,
                            assisted=revisions.request_ids(request.form.getlist("assistant_request")))


def _what(entry: revisions.Entry) -> str:
    if entry.change is Change.BLOCK:
        return _("%(block)s block saved", block=block_label(entry.detail or ""))
    if entry.change is Change.TRANSLATION:
        return _("%(language)s translation saved", language=language_name(entry.language or ""))
    return {Change.SETTINGS: _("Page settings saved"), Change.POST: _("Post saved"),
            Change.PRODUCT: _("Product saved")}[entry.change]


@bp.app_template_global()
def revision_history(item: Page | Post | Product) -> list[dict]:
    """The item's latest revisions for the editor's history: when, who, what, and whether the
    writing assistant wrote part of it."""
    return [{"when": format_datetime(entry.saved_at, "medium"), "who": entry.author or _("a former member"),
             "what": _what(entry), "assisted": entry.assisted}
            for entry in revisions.history(db.session, item)]
