"""GET/POST /signup: the form, then one Stripe Customer and Checkout Session, then Checkout."""

from __future__ import annotations

import stripe
from flask import abort, current_app, flash, redirect, render_template, request

from billing.catalog import INTERVALS
from billing.checkout import CheckoutUrls, start_checkout
from tenants.signups import SignupRejected, SignupRequest, by_token, create_or_resume
from web.extensions import db
from web.pricing import bp
from web.pricing.forms import SignupForm
from web.urls import external_url


def _plan_and_interval():
    catalog = current_app.extensions["catalog"]
    plan = catalog.plan(request.args.get("plan", ""))
    if plan is None:
        abort(404, description="There is no such plan. Please choose one on the pricing page.")
    interval = request.args.get("interval", "month")
    if interval not in INTERVALS:
        abort(404, description=f"There is no billing interval called '{interval}'.")
    return catalog, plan, interval


def _form(catalog, plan) -> SignupForm:
    form = SignupForm()
    form.template.choices = [(t.id, t.name) for t in catalog.templates_for(plan)]
    return form


def _prefill_from_cancelled_checkout(form: SignupForm) -> None:
    signup = by_token(db.session, request.args.get("resume", ""))
    if signup is not None and signup.status == "pending":
        form.company.data, form.subdomain.data = signup.company, signup.subdomain
        form.email.data, form.template.data = signup.email, signup.template
        flash("Your payment was cancelled and nothing was charged. Your details are kept: "
              "enter your password again to continue.", "info")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    catalog, plan, interval = _plan_and_interval()
    form = _form(catalog, plan)
    if request.method == "GET":
        if "resume" in request.args:
            _prefill_from_cancelled_checkout(form)
        return render_template("pricing/signup.html", form=form, plan=plan, interval=interval,
                               catalog=catalog)
    if form.validate_on_submit():
        signup_request = SignupRequest(
            company=form.company.data, subdomain=form.subdomain.data, email=form.email.data,
            password=form.password.data, template=form.template.data,
            plan_id=plan.id, interval=interval,
        )
        session = db.session
        try:
            pending, token = create_or_resume(session, catalog, signup_request)
            urls = None
            if token is not None:
                urls = CheckoutUrls(
                    success=external_url("onboarding.progress_page", token=token)
                    + "?session_id={CHECKOUT_SESSION_ID}",
                    cancel=external_url("pricing.signup", plan=plan.id, interval=interval,
                                        resume=token),
                )
            checkout_url = start_checkout(session, current_app.extensions["stripe"], catalog,
                                          pending, token, urls)
            session.commit()
            return redirect(checkout_url, code=303)
        except SignupRejected as exc:
            session.rollback()
            getattr(form, exc.field).errors.append(exc.message)
        except stripe.StripeError:
            session.rollback()
            current_app.logger.exception("Stripe refused the checkout for %s", form.subdomain.data)
            flash("Our payment provider could not be reached. Nothing was charged; "
                  "please try again in a minute.", "error")
    return render_template("pricing/signup.html", form=form, plan=plan, interval=interval,
                           catalog=catalog), 422
