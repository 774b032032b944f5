"""Staff API tokens in the back office (``/admin/tokens``): each staff member lists, creates
and revokes their own tokens for the platform API (``/api/platform``). A new token is shown
once, in the answer to the POST that made it: never in the session, a flash message or a URL.
Every creation and revocation is in the audit log. The rules are ``staff.api_tokens``."""

from __future__ import annotations

from flask import flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from staff import api_tokens, audit
from web.admin import bp
from web.extensions import db
from web.refusals import show_refusals
from worker.services import services


class TokenForm(FlaskForm):
    # Checked by the rule (staff.api_tokens.create), which names the field when it refuses.
    name = StringField(_l("Name"))


def _page(form: TokenForm, new_token: str | None = None, status: int = 200):
    response = make_response(render_template(
        "admin/tokens.html", form=form, tokens=api_tokens.tokens_of(db.session, g.staff),
        new_token=new_token, prefix=api_tokens.PREFIX,
        api_url=services().urls.public_url + url_for("platform_api.tenants")), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/tokens")
def tokens():
    return _page(TokenForm(formdata=None))


@bp.post("/tokens")
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():  # the CSRF token (checked before, too)
        return _page(form, status=400)
    show_refusals(form, lambda: _page(form))
    row, token = api_tokens.create(db.session, g.staff, form.name.data)
    audit.record(db.session, g.staff, "create_api_token", token_id=row.id, name=row.name,
                 prefix=row.prefix)
    db.session.commit()
    return _page(TokenForm(formdata=None), new_token=token)


@bp.post("/tokens/<int(max=2147483647):key_id>/revoke")
def revoke_token(key_id: int):
    row = api_tokens.revoke(db.session, g.staff, key_id)  # someone else's: a 404
    audit.record(db.session, g.staff, "revoke_api_token", token_id=row.id, name=row.name,
                 prefix=row.prefix)
    db.session.commit()
    flash(_("The token %(name)s is revoked; calls with it are refused from now on.",
            name=row.name), "info")
    return redirect(url_for("admin.tokens"), code=303)
