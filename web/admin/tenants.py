"""The tenant list (``/admin/tenants``): search, filters, sorting and pages, all in the query
string so that a list can be bookmarked and shared. The rule is ``staff.tenant_search``."""

from __future__ import annotations

import re

from flask import render_template, request, url_for

from db.messages import N_
from db.models.tenants import BillingState
from db.refusals import Refused
from staff import tenant_search
from staff.accounts import READ
from web.admin import bp
from web.admin.session import requires
from web.extensions import db
from web.i18n import translated
from web.refusals import render_refusals
from worker.services import services

PAGE_SIZE = 50
TRIAL = {"": None, "yes": True, "no": False}
FIELDS = ("q", "plan", "state", "health", "trial", "sort")


def _page_number(text: str | None) -> int:
    """The ``page`` argument: digits (a minus sign is left to the rule's own message), not so
    many that the number means nothing; none is page 1."""
    text = (text or "1").strip()
    if not re.fullmatch(r"-?[0-9]{1,18}", text):
        raise Refused(N_("The page is a number, counted from 1."), "page", 400)
    return int(text)


@bp.get("/tenants")
@requires(READ)
def tenants():
    chosen = {name: (request.args.get(name) or "").strip() for name in FIELDS}
    chosen["sort"] = chosen["sort"] or tenant_search.NEWEST

    def page(found=None, problem=None):
        def link(**changes) -> str:
            """This list with ``changes`` (a new filter or sort starts again at page 1)."""
            values = {**chosen, **changes}
            if values["sort"] == tenant_search.NEWEST:
                values.pop("sort")  # the default
            if values.get("page") == 1:
                values.pop("page")
            return url_for("admin.tenants", **{name: value for name, value in values.items() if value})

        return render_template(
            "admin/tenants.html", found=found, problem=problem, link=link, chosen=chosen,
            plans={plan.id: plan.name for plan in services().catalog.plans.values()},
            states=[state.value for state in BillingState])

    render_refusals(lambda refused: (page(problem=translated(refused.message)), refused.status))
    if chosen["trial"] not in TRIAL:
        raise Refused(N_("Trial is either yes or no."), "trial", 400)
    found = tenant_search.search(
        db.session, query=chosen["q"], plan=chosen["plan"] or None,
        billing_state=chosen["state"] or None, health=chosen["health"] or None,
        trial=TRIAL[chosen["trial"]], sort=chosen["sort"],
        page=_page_number(request.args.get("page")), size=PAGE_SIZE, catalog=services().catalog)
    return page(found)
