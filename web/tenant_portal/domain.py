"""The tenant's own domain in the portal: enter it, see the DNS records to create, remove it."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import ValidationError

from tenants import domains as domain_rules
from web.extensions import db
from web.refusals import show_refusals
from web.tenant_portal import bp
from web.tenant_portal.context import requires_feature


def _normalise(value):
    return domain_rules.normalise(value) if isinstance(value, str) else value


class DomainForm(FlaskForm):
    domain = StringField("Your domain", filters=[_normalise])

    def validate_domain(self, field):
        problem = domain_rules.domain_problem(field.data or "", current_app.config["PLATFORM_DOMAIN"])
        if problem:
            raise ValidationError(problem)


def _page(form: DomainForm, status: int = 200):
    tenant, config = g.tenant, current_app.config
    records = domain_rules.dns_records(tenant, config["PLATFORM_DOMAIN"], config["SECRET_KEY"]) \
        if tenant.custom_domain else []
    return render_template("portal/domain/index.html", form=form, tenant=tenant, records=records,
                           platform_address=f"{tenant.subdomain}.{config['PLATFORM_DOMAIN']}"), status


@bp.get("/domain")
@requires_feature("custom_domain")
def domain():
    return _page(DomainForm(formdata=None, domain=g.tenant.custom_domain))


@bp.post("/domain")
@requires_feature("custom_domain")
def set_domain():
    form = DomainForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    show_refusals(form, lambda: _page(form, 422))
    domain_rules.set_domain(db.session, g.tenant, form.domain.data)
    db.session.commit()
    flash(f"{form.domain.data} is saved. Create the two DNS records below.", "info")
    return redirect(url_for("portal.domain"), code=303)


@bp.post("/domain/remove")
@requires_feature("custom_domain")
def remove_domain():
    domain_rules.remove_domain(db.session, g.tenant)
    db.session.commit()
    flash("Your domain is removed. Your site stays at its Contyzr address.", "info")
    return redirect(url_for("portal.domain"), code=303)
