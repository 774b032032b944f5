"""The site's languages: which of ``SITE_LANGUAGES`` the public site speaks and its default.
Every member sees them; owners and admins change them (roles.py). More than one language is
the plan feature ``multi_language`` (tenants/site_languages.py holds the rules)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, SelectMultipleField, widgets

from db.languages import SITE_LANGUAGES
from plans.entitlements import may_use
from tenants import site_languages
from web.extensions import db
from web.refusals import show_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import catalog


class LanguagesForm(FlaskForm):
    languages = SelectMultipleField(
        _l("Your site's languages"), validate_choice=False,
        widget=widgets.ListWidget(prefix_label=False), option_widget=widgets.CheckboxInput())
    language = RadioField(_l("Default language"), validate_choice=False, description=_l(
        "Shown at your site's own address and wherever a text is not yet translated."))


def language_name(code: str) -> str:
    """The language's name in the portal's language ("Dutch", "Nederlands")."""
    name = get_locale().languages.get(code, code)
    return name[:1].upper() + name[1:]


def _form(**data) -> LanguagesForm:
    form = LanguagesForm(**data)
    choices = [SelectChoice(code, language_name(code)) for code in SITE_LANGUAGES]
    form.languages.choices = choices
    form.language.choices = choices
    return form


def _page(form: LanguagesForm):
    return render_template(
        "portal/languages.html", form=form, default_name=language_name(g.tenant.language),
        multi_language=may_use(catalog(), g.tenant, site_languages.FEATURE),
        site_names=_names(g.tenant.languages)), 422 if form.errors else 200


def _names(codes) -> str:
    return ", ".join(language_name(code) for code in SITE_LANGUAGES if code in codes)


@bp.get("/languages", endpoint="languages")
def languages():
    return _page(_form(languages=list(g.tenant.languages), language=g.tenant.language))


@bp.post("/languages", endpoint="save_languages")
def save_languages():
    form = _form()
    if not form.validate_on_submit():
        return _page(form)
    show_refusals(form, lambda: _page(form))
    change = site_languages.set_languages(db.session, catalog(), g.tenant,
                                          form.languages.data or [], form.language.data or "")
    db.session.commit()
    flash(_("Your site's languages are now: %(names)s.", names=_names(g.tenant.languages)),
          "info")
    if change.default_changed:
        flash(_("%(language)s is now your site's default language. Every text kept its "
                "language.", language=language_name(change.new_default)), "info")
        if change.untranslated:
            flash(ngettext(
                "%(num)s item had no %(language)s text yet: it shows its %(old)s text until "
                "you edit it.",
                "%(num)s items had no %(language)s text yet: they show their %(old)s text "
                "until you edit them.", change.untranslated,
                language=language_name(change.new_default),
                old=language_name(change.old_default)), "info")
    return redirect(url_for("portal.languages"), code=303)
