"""The site's settings for owners and admins: its time zone, for scheduling posts and dates, and
the tone the writing assistant writes in (shown when the plan includes the assistant)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField

from plans.entitlements import may_use
from tenants import time_zones
from tenants.assistant import tone
from web.extensions import db
from web.refusals import show_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import catalog
from web.tenant_portal.pages import strip

TONE_LABELS = {"friendly": _l("Friendly"), "professional": _l("Professional"),
               "formal": _l("Formal"), "playful": _l("Playful")}


class SettingsForm(FlaskForm):
    common_time_zone = SelectField(_l("Time zone"), validate_choice=False, description=_l(
        "Posts are scheduled and dates on your site are shown in this time zone."))
    time_zone = StringField(_l("Another time zone"), filters=[strip], description=_l(
        "Not in the list? Enter its name, like America/Argentina/Buenos_Aires. "
        "This replaces the choice above."))
    assistant_tone = SelectField(_l("Tone of the writing assistant"), validate_choice=False, choices=[
        SelectChoice(name, TONE_LABELS[name]) for name in tone.TONES],
        description=_l("The assistant writes its proposals for your site in this tone."))

    def chosen(self) -> str:
        return self.time_zone.data or self.common_time_zone.data or ""


def _page(form: SettingsForm):
    current = g.tenant.time_zone
    choices = list(time_zones.COMMON)
    if current not in choices:
        choices.insert(1, current)
    form.common_time_zone.choices = choices
    return render_template("portal/settings.html", form=form), 422 if form.errors else 200


@bp.route("/settings", methods=["GET", "POST"], endpoint="settings")
def site_settings():
    form = SettingsForm(common_time_zone=g.tenant.time_zone, assistant_tone=tone.tone_of(g.tenant))
    if not may_use(catalog(), g.tenant, "ai"):
        del form.assistant_tone
    if not form.validate_on_submit():
        return _page(form)
    show_refusals(form, lambda: _page(form))
    time_zones.set_time_zone(db.session, g.tenant, form.chosen())
    if "assistant_tone" in form:
        tone.set_tone(db.session, g.tenant, form.assistant_tone.data)
    db.session.commit()
    flash(_("The time zone is now %(zone)s.", zone=g.tenant.time_zone), "info")
    return redirect(url_for("portal.settings"), code=303)
