"""Billing in the portal: the plan, the invoices, and the way into Stripe's billing portal."""

from __future__ import annotations

import stripe
from flask import current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from billing.catalog_sync import portal_configuration
from db.models import Invoice, Subscription
from web.extensions import db
from web.tenant_portal import bp
from web.tenant_portal.context import catalog
from web.urls import external_url
from worker.services import services

# Stripe's states, in words (an unknown one is shown as Stripe names it).
INVOICE_STATUSES = {
    "draft": _l("draft"), "open": _l("open"), "paid": _l("paid"),
    "uncollectible": _l("uncollectible"), "void": _l("void"),
}
SUBSCRIPTION_STATUSES = {
    "incomplete": _l("incomplete"), "incomplete_expired": _l("incomplete, expired"),
    "trialing": _l("trial"), "active": _l("active"), "past_due": _l("past due"),
    "canceled": _l("cancelled"), "unpaid": _l("unpaid"), "paused": _l("paused"),
}


PAYMENT_METHOD_NAMES = {
    "card": _l("card"), "sepa_debit": _l("SEPA Direct Debit"), "ideal": _l("iDEAL"),
    "bancontact": _l("Bancontact"),
}


@bp.get("/billing")
def billing():
    tenant = g.tenant
    invoices = db.session.scalars(
        select(Invoice).where(Invoice.customer_id == tenant.stripe_customer_id)
        .order_by(Invoice.created.desc()).limit(24)).all()
    subscription = db.session.scalar(
        select(Subscription).where(Subscription.id == tenant.stripe_subscription_id))
    # The name, address and VAT number the latest invoice was made out to.
    billed = next((invoice for invoice in invoices
                   if invoice.customer_name or invoice.customer_address), None)
    return render_template("portal/billing.html", tenant=tenant, invoices=invoices,
                           subscription=subscription, plan=catalog().plan(tenant.plan_id),
                           billed=billed, catalog=catalog(),
                           method_names=PAYMENT_METHOD_NAMES,
                           invoice_statuses=INVOICE_STATUSES,
                           subscription_statuses=SUBSCRIPTION_STATUSES)


@bp.post("/billing/portal")
def billing_portal():
    """Open a Stripe billing portal session (change plan, card, cancel) and go there."""
    try:
        client = services().stripe
        params = {"customer": g.tenant.stripe_customer_id,
                  "return_url": external_url("portal.billing")}
        # The catalog's configuration (plans, cancellation reasons), once the sync made it.
        if configuration := portal_configuration(client):
            params["configuration"] = configuration
        session = client.v1.billing_portal.sessions.create(params=params)
    except stripe.StripeError:
        current_app.logger.exception("billing portal session for tenant %s", g.tenant.id)
        flash(_("Our payment provider could not be reached. Please try again in a minute."),
              "error")
        return redirect(url_for("portal.billing"), code=303)
    return redirect(session.url, code=303)
