"""The template context of a queued (outbox) mail, made at delivery.

Mails with a link that signs someone in or lets them join (welcome, password reset, team
invitation) never store that link's token in the outbox: the row's params hold only what the
token is derived from again (the owner's id, an invite id; the row's own key) with the secret
key, so a retried delivery carries the same link and the database holds only its hash. The
other mails are rendered from their params (``emails.outbox.from_params``).

Each is rendered in its recipient's language: the welcome mail in the signup's, an invitation
in the one it was sent in (``invites.language``), the others in the addressed user's own
(``emails.outbox.recipient_language``).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from db.models import MailLog, Signup, Tenant, User
from emails import mails, outbox
from links.urls import Urls
from tenants import password_reset, signin
from tenants import team as team_rules
from tenants.order_mails import BUYER_MAILS, OWNER_MAILS, order_mail

Context = Callable[[Session, MailLog], dict | None]


def welcome_key(tenant_id: int) -> str:
    return f"welcome-{tenant_id}"


def welcome_mail(session: Session, urls: Urls, secret: str, row: MailLog) -> dict | None:
    """The welcome mail's context, in the language the signup was made in (the owner's until
    they choose another); its sign-in link's token is derived from the row's key."""
    owner, tenant = session.get(User, row.params["user_id"]), session.get(Tenant, row.tenant_id)
    if owner is None or tenant is None:
        return None
    token = signin.issue(session, owner, signin.WELCOME, signin.WELCOME_TTL,
                         token=signin.derived_token(secret, row.idempotency_key))
    signup = session.get(Signup, tenant.signup_id) if tenant.signup_id else None
    return {**mails.welcome(company=tenant.company, site_url=urls.site(tenant.subdomain),
                            portal_url=urls.portal(), signin_url=urls.signin(token)),
            "language": signup.language if signup is not None else owner.language}


def context_for(urls: Urls, secret: str) -> Context:
    """The ``context`` that ``emails.outbox.deliver`` renders a queued mail with."""

    def context(session: Session, row: MailLog) -> dict | None:
        if row.kind == "welcome":
            return welcome_mail(session, urls, secret, row)
        if row.kind == "team_invite":
            return team_rules.invite_mail(session, urls, secret, row.tenant_id,
                                          row.params["invite_id"])
        if row.kind == password_reset.KIND:
            return password_reset.reset_mail(session, urls, secret, row)
        if row.kind in BUYER_MAILS + OWNER_MAILS:
            return order_mail(session, urls, row)
        return outbox.from_params(session, row)

    return context
