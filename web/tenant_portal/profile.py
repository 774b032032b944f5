"""The signed-in person's profile: their own language for the portal and their mails. Every
member changes only their own (the form names no user: the session's user is the one changed),
and the storefront's language switch used while signed in saves the same setting."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice

from db.languages import LANGUAGE_NAMES, UI_LANGUAGES
from db.models import User
from tenants import accounts
from tenants.scope import get_scoped
from web.extensions import db
from web.i18n import remember_language
from web.refusals import show_refusals
from web.tenant_portal import bp


class ProfileForm(FlaskForm):
    language = RadioField(_l("Language"), validate_choice=False, description=_l(
        "The portal and the mails we send you are in this language. Everyone on the team "
        "chooses their own."))


def _form(**data) -> ProfileForm:
    form = ProfileForm(**data)
    form.language.choices = [SelectChoice(code, LANGUAGE_NAMES[code]) for code in UI_LANGUAGES]
    return form


def _page(form: ProfileForm, status: int = 200):
    return render_template("portal/profile.html", form=form, email=current_user.email), status


@bp.get("/profile", endpoint="profile")
def profile():
    me = get_scoped(db.session, User, current_user.tenant_id, current_user.user_id)
    return _page(_form(formdata=None, language=me.language if me is not None else None))


@bp.post("/profile", endpoint="save_profile")
def save_profile():
    form = _form()
    if not form.validate_on_submit():  # the form expired (CSRF)
        return _page(form, 400)
    show_refusals(form, lambda: _page(form, 422))
    me = accounts.set_language(db.session, current_user.tenant_id, current_user.user_id,
                               form.language.data)
    db.session.commit()
    refresh()  # this answer already in the new language
    flash(_("The portal is now in %(language)s.", language=LANGUAGE_NAMES[me.language]), "info")
    response = make_response(redirect(url_for("portal.profile"), code=303))
    remember_language(response, me.language)
    return response
