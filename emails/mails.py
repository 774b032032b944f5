"""The mails Contyzr sends: one function per mail, returning its template context.

A function's name is its mail name, the folder under ``templates/`` it renders:
``render("welcome", language, **welcome(...))``. ``company`` is the company's display name.
Amounts, days and dates stay values here: the templates word and format them in the mail's
language (``emails.render``).
"""

from datetime import date, datetime
from typing import Any

from emails.alert_words import rule_title
from emails.render import format_money  # noqa: F401  (money is formatted in the mail's language)


def welcome(
    company: str, site_url: str, portal_url: str, signin_url: str, expires_days: int = 7
) -> dict[str, Any]:
    return {
        "company": company,
        "site_url": site_url,
        "portal_url": portal_url,
        "signin_url": signin_url,
        "expires_days": expires_days,
    }


def password_reset(reset_url: str, expires_minutes: int) -> dict[str, Any]:
    return {"reset_url": reset_url, "expires_minutes": expires_minutes}


def dunning(
    company: str,
    amount_due_cents: int,
    currency: str,
    hosted_invoice_url: str,
    billing_url: str,
    grace_days_left: int,
    suspend_on: datetime | str | None = None,
    method_type: str | None = None,
    method_brand: str | None = None,
    method_last4: str | None = None,
) -> dict[str, Any]:
    """``suspend_on``: when the grace period ends (UTC), shown as a day in the tenant's time
    zone; mails queued before it was stored say "in N days" only. ``method_*``: what the
    subscription is charged with (``card`` or ``sepa_debit``), so the mail names it; unknown
    for mails queued before it was recorded."""
    return {
        "company": company,
        "amount_due_cents": amount_due_cents,
        "currency": currency,
        "hosted_invoice_url": hosted_invoice_url,
        "billing_url": billing_url,
        "grace_days_left": grace_days_left,
        "suspend_on": suspend_on,
        "method_type": method_type,
        "method_brand": method_brand,
        "method_last4": method_last4,
    }


def payment_action_required(**dunning_params: Any) -> dict[str, Any]:
    """The bank wants the customer to confirm a payment (3-D Secure) on the hosted invoice
    page; the same facts as ``dunning``."""
    return dunning(**dunning_params)


def suspended(company: str, billing_url: str, method_type: str | None = None,
              method_brand: str | None = None, method_last4: str | None = None) -> dict[str, Any]:
    return {"company": company, "billing_url": billing_url, "method_type": method_type,
            "method_brand": method_brand, "method_last4": method_last4}


def reactivated(company: str, portal_url: str) -> dict[str, Any]:
    return {"company": company, "portal_url": portal_url}


def closing_reminder(company: str, delete_on_date: date | datetime | str,
                     billing_url: str) -> dict[str, Any]:
    """``delete_on_date``: a day, or the moment of deletion (UTC; ISO text as stored in the
    outbox), shown as its day in the tenant's time zone."""
    return {"company": company, "delete_on": delete_on_date, "billing_url": billing_url}


def team_invite(company: str, inviter: str, accept_url: str, role: str) -> dict[str, Any]:
    return {"company": company, "inviter": inviter, "accept_url": accept_url, "role": role}


def contact_submission(
    company: str, name: str, email: str, message: str, page_slug: str, inbox_url: str
) -> dict[str, Any]:
    """A visitor wrote through the contact form on the company's site."""
    return {"company": company, "name": name, "email": email, "message": message,
            "page": f"/{page_slug}" if page_slug else "/", "inbox_url": inbox_url,
            "reply_to": email}


def domain_verified(company: str, domain: str, site_url: str, domains_url: str) -> dict[str, Any]:
    """The company's own domain passed its DNS check: the site answers there now."""
    return {"company": company, "domain": domain, "site_url": site_url,
            "domains_url": domains_url}


def domain_lost(company: str, domain: str, served_until: datetime | str,
                domains_url: str) -> dict[str, Any]:
    """A verified domain's DNS records are gone or changed; it is served until ``served_until``
    (UTC; ISO text as stored in the outbox, shown in the tenant's time zone)."""
    return {"company": company, "domain": domain, "served_until": served_until,
            "domains_url": domains_url}


def domain_claim_dropped(company: str, domain: str, domains_url: str) -> dict[str, Any]:
    """Another site proved it owns a domain the company had added but not verified."""
    return {"company": company, "domain": domain, "domains_url": domains_url}


def trial_ending(company: str, trial_end: datetime | str, billing_url: str,
                 has_payment_method: bool) -> dict[str, Any]:
    """The free trial ends on ``trial_end`` (UTC; shown as a day in the tenant's time zone)."""
    return {"company": company, "trial_end": trial_end, "billing_url": billing_url,
            "has_payment_method": has_payment_method}


# A webshop's order. ``order`` is the order as the mails show it: ``number``, ``lines``
# ([{"name", "quantity", "cents"}]), ``goods``, ``shipping``, ``total`` and ``currency``,
# ``vat`` ([(rate, cents)]), ``shipping_method`` (flat, free, pickup), the buyer's ``name``,
# ``email`` and ``address`` (Stripe's shape), and ``short`` (the products that sold out).
# The buyer's mails come from the shop: signed with its name, replies to its owner.

def _to_buyer(company: str, order: dict[str, Any], site_url: str, owner_email: str | None,
              **more: Any) -> dict[str, Any]:
    return {"company": company, **order, "site_url": site_url, "from_name": company,
            "reply_to": owner_email, **more}


def order_confirmation(company: str, order: dict[str, Any], site_url: str,
                       owner_email: str | None) -> dict[str, Any]:
    """The buyer paid: what they bought, the VAT in it, where it goes."""
    return _to_buyer(company, order, site_url, owner_email)


def order_shipped(company: str, order: dict[str, Any], site_url: str, owner_email: str | None,
                  tracking_url: str | None) -> dict[str, Any]:
    return _to_buyer(company, order, site_url, owner_email, tracking_url=tracking_url or "")


def order_out_of_stock(company: str, order: dict[str, Any], site_url: str,
                       owner_email: str | None) -> dict[str, Any]:
    """The stock ran out before the buyer's payment arrived: refunded in full."""
    return _to_buyer(company, order, site_url, owner_email)


def new_order(company: str, order: dict[str, Any], order_url: str) -> dict[str, Any]:
    """To the shop's owner: a paid order to send."""
    return {"company": company, **order, "order_url": order_url}


def order_out_of_stock_owner(company: str, order: dict[str, Any], order_url: str) -> dict[str, Any]:
    return {"company": company, **order, "order_url": order_url}


def staff_invite(inviter: str, role: str, accept_url: str, expires_days: int = 3) -> dict[str, Any]:
    """An admin invited someone to the back office (``role``: admin, support or finance)."""
    return {"inviter": inviter, "role": role, "accept_url": accept_url,
            "expires_days": expires_days}


def staff_alert(rule: str, phase: str, subject: str, summary: str, opened_at: datetime | str,
                incidents_url: str, resolved_at: datetime | str | None = None,
                more: int = 0) -> dict[str, Any]:
    """An alert rule's incident opened or resolved (``phase``), for staff; ``summary`` is one
    line of English, ``more`` the incidents of the same rule this mail stands for too (the
    rule's notices are rate limited)."""
    return {"rule": rule, "title": rule_title(rule), "phase": phase, "subject": subject,
            "summary": summary, "opened_at": opened_at, "resolved_at": resolved_at,
            "more": more, "incidents_url": incidents_url}
