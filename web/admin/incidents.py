"""The incidents the alert rules opened (``/admin/incidents``): open first, then the ones
resolved in the last week."""

from __future__ import annotations

from flask import render_template

from emails.alert_words import rule_title
from monitoring import incidents
from staff.accounts import READ
from web.admin import bp
from web.admin.session import requires
from web.extensions import db


@bp.get("/incidents")
@requires(READ)
def incident_list():
    return render_template("admin/incidents.html", open=incidents.open_incidents(db.session),
                           resolved=incidents.recently_resolved(db.session),
                           days=incidents.RESOLVED_DAYS, title_of=rule_title)
