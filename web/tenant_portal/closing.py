"""What a closed tenant can still do in the portal: export its data, subscribe again."""

from __future__ import annotations

import stripe
from flask import Response, current_app, flash, g, redirect, url_for
from flask_babel import gettext as _

from billing.checkout import start_resubscription
from plans.access import Access
from tenants.retention import export_archive
from web.extensions import db
from web.i18n import current_language
from web.tenant_portal import bp
from web.tenant_portal.context import catalog
from web.urls import external_url
from worker.services import services


@bp.get("/export")
def export():
    archive = export_archive(db.session, g.tenant, services().media)
    return Response(archive, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{g.tenant.subdomain}-export.zip"'})


@bp.post("/billing/resubscribe")
def resubscribe():
    """A closed tenant subscribes again, to the plan it had: everything is restored on payment."""
    if g.access is not Access.CLOSED:
        return redirect(url_for("portal.billing"), code=303)
    try:
        checkout_url = start_resubscription(services().stripe, catalog(), g.tenant,
                                            external_url("portal.billing"), current_language())
    except stripe.InvalidRequestError:
        current_app.logger.exception("Stripe refused the resubscription of tenant %s", g.tenant.id)
        flash(_("Payment cannot be started right now because of a problem with our payment "
                "settings. Our team has been told. Nothing was charged; please try again later."),
              "error")
        return redirect(url_for("portal.billing"), code=303)
    except stripe.StripeError:
        current_app.logger.exception("resubscribe checkout for tenant %s", g.tenant.id)
        flash(_("Our payment provider could not be reached. Please try again in a minute."),
              "error")
        return redirect(url_for("portal.billing"), code=303)
    return redirect(checkout_url, code=303)
