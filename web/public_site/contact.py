"""The contact form of a tenant's site: ``POST /contact`` on the site's own host.

Not a Flask route: ``web.tenant_sites`` hands the request here after its status checks (a
suspended or closed site answers with its status page and stores nothing). Having no endpoint,
the request is outside the portal's session CSRF check (CSRFProtect skips requests without
one); the form's own signed, one-use token (``tenants.contact``) stands in for it.
"""

from __future__ import annotations

from flask import Response, current_app, request
from flask_babel import gettext
from markupsafe import Markup
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from db.models import Tenant
from tenants import contact
from web.i18n import translated
from web.public_site import page_cache
from web.public_site.render import render_site_page
from web.refusals import render_refusals
from worker.jobs.mail import deliver_soon
from worker.services import services

PATH = "/contact"  # under the page's language prefix on a site in several languages


def form_token(tenant_id: int) -> Markup:
    """A fresh token for one rendering of the form (a template global): its page is this
    visitor's only, never served from a shared cache."""
    page_cache.per_visitor()
    return Markup.escape(contact.issue_token(current_app.config["SECRET_KEY"], tenant_id))


def submit(session: Session, tenant: Tenant, language: str | None = None) -> Response:
    """Send the form; the answer is a page of the site in ``language`` (the form's page's)."""
    the = services()
    render_refusals(lambda refused: render_site_page(
        session, tenant, "contact_refused.html", refused.status, language,
        title=gettext("Message not sent"), problem=translated(refused.message)))
    try:
        keys = contact.submit(session, the.redis, current_app.config["SECRET_KEY"], tenant,
                              form=request.form.to_dict(), address=request.remote_addr or "",
                              inbox_url=the.urls.inbox())
    except RedisError:  # the checks need Redis: better no message than an unchecked one
        session.rollback()
        current_app.logger.exception("contact form of tenant %s", tenant.id)
        return render_site_page(session, tenant, "contact_refused.html", 503, language,
                                title=gettext("Message not sent"),
                                problem=gettext("The form cannot be sent right now. Please "
                                                "try again in a few minutes."))
    session.commit()
    for key in keys or ():
        deliver_soon(the.queues, key)
    return render_site_page(session, tenant, "contact_sent.html", language=language,
                            title=gettext("Thank you"))
