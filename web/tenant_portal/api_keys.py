"""API keys in the portal: list, create and revoke. A new key is shown once, in the answer to
the POST that created it; it is never put in the session, a flash message or a URL."""

from __future__ import annotations

from flask import abort, flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from db.models import ApiKey
from tenants import api_keys as key_rules
from tenants.scope import get_scoped, scoped
from web.extensions import db
from web.tenant_portal import bp
from worker.services import services


def _strip(value):
    """Surrounding spaces and NUL characters (which PostgreSQL text cannot hold) go."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


class ApiKeyForm(FlaskForm):
    name = StringField(_l("Name"), filters=[_strip], validators=[
        DataRequired(_l("Name the key after what uses it, e.g. Website sync.")),
        Length(max=80, message=_l("Use at most %(max)d characters."))])


def _page(form: ApiKeyForm, new_key: str | None = None, status: int = 200):
    keys = db.session.scalars(scoped(ApiKey, g.tenant.id)
                              .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())).all()
    response = make_response(render_template(
        "portal/api_keys/index.html", form=form, keys=keys, new_key=new_key,
        api_url=services().urls.api("pages")), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/api-keys")
def api_keys():
    return _page(ApiKeyForm(formdata=None))


@bp.post("/api-keys")
def create_api_key():
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    _row, key = key_rules.create_key(db.session, g.tenant.id, form.name.data)
    db.session.commit()
    return _page(ApiKeyForm(formdata=None), new_key=key)


@bp.post("/api-keys/<int(max=2147483647):key_id>/revoke")
def revoke_api_key(key_id: int):
    row = get_scoped(db.session, ApiKey, g.tenant.id, key_id)
    if row is None:
        abort(404, description=_("There is no such API key."))
    key_rules.revoke(row)
    db.session.commit()
    flash(_("The key %(name)s is revoked; requests with it are refused from now on.",
            name=row.name), "info")
    return redirect(url_for("portal.api_keys"), code=303)
