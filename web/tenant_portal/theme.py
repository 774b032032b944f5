"""The site's look in the portal: logo, favicon, colours, fonts and tagline, with a preview.

The preview panel shows the saved look from a small stylesheet of its own (the CSP allows no
inline styles); ``theme-preview.js`` updates it as the inputs change. Each colour has a text
field (its value is saved) and a colour picker; the picker counts when only it was changed,
so the page works without JavaScript too.
"""

from __future__ import annotations

from flask import flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from db.models import MediaFile
from tenants import theme as theme_rules
from tenants.scope import scoped
from web.extensions import db
from web.i18n import translated
from web.public_site.theme import FONT_PAIRINGS, Theme, site_theme
from web.refusals import show_refusals
from web.tenant_portal import bp

COLOR_LABELS = {"primary_color": _l("Primary colour"), "accent_color": _l("Accent colour"),
                "background_color": _l("Background colour")}
COLOR_HINTS = {
    "primary_color": _l("Header band, footer, buttons and links."),
    "accent_color": _l("Highlights and the second kind of button."),
    "background_color": _l("Behind the text of every page."),
}
# The font pairings' names as the portal offers them (web/public_site/theme.py names them in
# English for the site's own use).
FONT_LABELS = {
    "sans": _l("Sans: clean and plain"),
    "serif": _l("Serif: classic, like a book"),
    "modern": _l("Modern: serif headings, sans body text"),
    "friendly": _l("Friendly: rounded letters"),
}


class ThemeForm(FlaskForm):
    primary_color = StringField(COLOR_LABELS["primary_color"])
    primary_color_picker = StringField()
    accent_color = StringField(COLOR_LABELS["accent_color"])
    accent_color_picker = StringField()
    background_color = StringField(COLOR_LABELS["background_color"])
    background_color_picker = StringField()
    font = StringField(_l("Fonts"))
    tagline = StringField(_l("Tagline"), description=_l(
        "One line under your name in the footer and in search results; at most "
        "%(limit)s characters.", limit=theme_rules.MAX_TAGLINE_LENGTH))
    logo_media_id = StringField(_l("Logo"), description=_l(
        "Shown in your site's header instead of your name (your name stays its text for "
        "screen readers). Upload it in Media first."))
    favicon_media_id = StringField(_l("Favicon"), description=_l(
        "The small icon in the browser's tab; a square image of at least 48 × 48 pixels."))

    def color(self, key: str, saved: str) -> str:
        """The text field's value, or the picker's when only the picker was changed."""
        typed, picked = (self[key].data or "").strip(), (self[f"{key}_picker"].data or "").strip()
        if typed.lower() == saved.lower() and picked and picked.lower() != saved.lower():
            return picked
        return typed

    def choice(self, saved: Theme) -> theme_rules.ThemeChoice:
        for key in theme_rules.COLOR_KEYS:  # shown again as chosen when something is refused
            self[key].data = self.color(key, getattr(saved, key))
        return theme_rules.ThemeChoice(
            primary_color=self.primary_color.data, accent_color=self.accent_color.data,
            background_color=self.background_color.data, font=self.font.data or "",
            tagline=self.tagline.data or "", logo_media_id=self.logo_media_id.data or "",
            favicon_media_id=self.favicon_media_id.data or "")


def _saved_form(saved: Theme) -> ThemeForm:
    settings = g.tenant.site_settings or {}
    values = {key: getattr(saved, key) for key in theme_rules.COLOR_KEYS}
    return ThemeForm(
        formdata=None, **values, **{f"{key}_picker": value for key, value in values.items()},
        font=saved.font, tagline=saved.tagline,
        logo_media_id=str(settings.get("logo_media_id") or ""),
        favicon_media_id=str(settings.get("favicon_media_id") or ""))


def _page(form: ThemeForm, status: int = 200):
    saved = site_theme(g.tenant, db.session)
    images = db.session.scalars(scoped(MediaFile, g.tenant.id)
                                .where(MediaFile.content_type.startswith("image/"))
                                .order_by(MediaFile.id.desc())).all()
    checks = []
    for key, (pair, _refusal) in theme_rules.SURFACES.items():
        color = getattr(saved, key)
        ratio = theme_rules.contrast(color, theme_rules.readable_on(color))
        checks.append((key, translated(pair), theme_rules.ratio_label(ratio),
                       ratio >= theme_rules.MIN_TEXT_CONTRAST))
    return render_template(
        "portal/theme/index.html", form=form, saved=saved, images=images, fonts=FONT_PAIRINGS,
        font_labels=FONT_LABELS,
        color_keys=theme_rules.COLOR_KEYS, color_hints=COLOR_HINTS, checks=checks,
        logo=next((row for row in images if str(row.id) == form.logo_media_id.data), None),
        min_contrast=theme_rules.MIN_TEXT_CONTRAST), status


@bp.get("/theme", endpoint="theme")
def theme_page():
    return _page(_saved_form(site_theme(g.tenant, db.session)))


@bp.post("/theme")
def save_theme():
    form = ThemeForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    choice = form.choice(site_theme(g.tenant, db.session))
    show_refusals(form, lambda: _page(form, 422))
    theme_rules.save_theme(db.session, g.tenant, choice)
    db.session.commit()
    flash(_("Your site's look is saved. Visitors see it on their next page."), "info")
    return redirect(url_for("portal.theme"), code=303)


@bp.post("/theme/reset")
def reset_theme():
    theme_rules.reset_theme(db.session, g.tenant)
    db.session.commit()
    flash(_("Colours, fonts and tagline are back to your template's. Your logo and favicon "
            "stay."), "info")
    return redirect(url_for("portal.theme"), code=303)


@bp.get("/theme/preview.css")
def theme_preview_css():
    """The saved look as custom properties of the preview panel only."""
    response = make_response(site_theme(g.tenant, db.session).rule(".theme-preview"))
    response.mimetype = "text/css"
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response
