"""GET/POST /signup: the form, then one Stripe Customer and Checkout Session, then Checkout."""

from __future__ import annotations

from datetime import timedelta

import stripe
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from billing.checkout import AlreadyPaid, CheckoutUrls, start_checkout
from db.models.signups import SignupStatus
from plans.catalog import INTERVALS
from tenants.onboarding_link import browser_key_matches
from tenants.signup_limits import SignupLimits
from tenants.signups import SignupRequest, create_or_resume, find
from web.extensions import db
from web.i18n import current_language, translated
from web.onboarding import browser_key
from web.pricing import bp
from web.pricing.forms import SignupForm
from web.refusals import show_refusals
from web.urls import external_url
from worker.services import services


def _plan_and_interval():
    catalog = services().catalog
    plan = catalog.plan(request.args.get("plan", ""))
    if plan is None:
        abort(404, description=gettext("There is no such plan. Please choose one on the pricing "
                                       "page."))
    interval = request.args.get("interval", "month")
    if interval not in INTERVALS:
        abort(404, description=gettext("There is no billing interval called '%(interval)s'.",
                                       interval=interval))
    return catalog, plan, interval


def _form(catalog, plan) -> SignupForm:
    form = SignupForm()
    if request.method == "GET":
        form.trial.data = bool(plan.trial_days) and request.args.get("trial") == "1"
    form.template.choices = [(t.id, translated(t.name)) for t in catalog.templates_for(plan)]
    return form


def _limits() -> SignupLimits:
    config = current_app.config
    return SignupLimits(services().redis, config["SIGNUP_LIMIT_PER_ADDRESS"],
                        config["SIGNUP_LIMIT_PER_EMAIL"])


def _prefill_from_cancelled_checkout(form: SignupForm) -> None:
    """Back from a cancelled Checkout (``?resume=<signup id>``): the details come back only in
    the browser that sent them (its cookie), never for someone who merely has the address."""
    signup = find(db.session, request.args.get("resume", ""))
    if signup is None or signup.status not in (SignupStatus.PENDING, SignupStatus.EXPIRED) \
            or not browser_key_matches(signup, browser_key.current()):
        return
    form.company.data, form.subdomain.data = signup.company, signup.subdomain
    form.email.data, form.template.data = signup.email, signup.template
    form.site_language.data = signup.site_language
    flash(gettext("Your payment was cancelled and nothing was charged. Your details are kept: "
                  "enter your password again to continue."), "info")


def _checkout_urls(signup, plan, interval) -> CheckoutUrls:
    """Return addresses carry the signup's id only: nothing in them signs anyone in."""
    return CheckoutUrls(
        success=external_url("onboarding.progress_page", signup_id=signup.id)
        + "?session_id={CHECKOUT_SESSION_ID}",
        cancel=external_url("pricing.signup", plan=plan.id, interval=interval, resume=signup.id),
    )


def _page(form, plan, interval, catalog, status=200):
    return render_template("pricing/signup.html", form=form, plan=plan, interval=interval,
                           catalog=catalog), status


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    catalog, plan, interval = _plan_and_interval()
    form = _form(catalog, plan)
    if request.method == "GET":
        if "resume" in request.args:
            _prefill_from_cancelled_checkout(form)
        return _page(form, plan, interval, catalog)
    if not form.validate_on_submit():
        return _page(form, plan, interval, catalog, 422)
    refused = _limits().check(request.remote_addr, form.email.data)
    if refused is not None:
        flash(translated(refused.message), "error")
        body, status = _page(form, plan, interval, catalog, 429)
        return body, status, {"Retry-After": str(refused.retry_after)}
    signup_request = SignupRequest(
        company=form.company.data, subdomain=form.subdomain.data, email=form.email.data,
        password=form.password.data, template=form.template.data,
        plan_id=plan.id, interval=interval,
        language=current_language(), site_language=form.site_language.data,
        trial=bool(form.trial.data),
    )
    session = db.session
    secret, secret_hash = browser_key.mint()
    reservation = timedelta(minutes=current_app.config["SIGNUP_RESERVATION_MINUTES"])
    show_refusals(form, lambda: _page(form, plan, interval, catalog, 422))
    try:
        pending, renew = create_or_resume(session, catalog, signup_request, secret_hash,
                                          reservation)
        signup_id = pending.id
        checkout_url = start_checkout(session, services().stripe, catalog,
                                      pending, renew, _checkout_urls(pending, plan, interval))
        session.commit()
        return browser_key.give(redirect(checkout_url, code=303), secret)
    except AlreadyPaid:
        session.rollback()
        flash(gettext("Your payment for this site has already gone through; it is being set up "
                      "now."), "info")
        return redirect(url_for("onboarding.progress_page", signup_id=signup_id), code=303)
    except stripe.InvalidRequestError:
        # Stripe refused what we asked (a payment method not enabled on the account, ...):
        # nothing the visitor can fix; staff read the log.
        session.rollback()
        current_app.logger.exception("Stripe refused the checkout for %s", form.subdomain.data)
        flash(gettext("Payment cannot be started right now because of a problem with our "
                      "payment settings. Our team has been told. Nothing was charged; please "
                      "try again later."), "error")
    except stripe.StripeError:
        session.rollback()
        current_app.logger.exception("Stripe failed the checkout for %s", form.subdomain.data)
        flash(gettext("Our payment provider could not be reached. Nothing was charged; "
                      "please try again in a minute."), "error")
    return _page(form, plan, interval, catalog, 422)
