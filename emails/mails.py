"""The mails Contyzr sends: one function per mail, returning its template context.

A function's name is its mail name, the folder under ``templates/`` it renders:
``render("welcome", **welcome(...))``. ``company`` is the company's display name.
"""

from datetime import date
from typing import Any

_CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def format_money(amount_cents: int, currency: str) -> str:
    """``(7900, "eur")`` → ``"€79.00"``; currencies without a symbol here: ``"CHF 79.00"``."""
    units, cents = divmod(abs(amount_cents), 100)
    sign = "-" if amount_cents < 0 else ""
    code = currency.upper()
    prefix = _CURRENCY_SYMBOLS.get(code, f"{code} ")
    return f"{sign}{prefix}{units:,}.{cents:02d}"


def format_date(day: date) -> str:
    """``date(2025, 3, 7)`` → ``"7 March 2025"``."""
    return f"{day.day} {day:%B %Y}"


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def _in_days(days: int) -> str:
    if days <= 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days} days"


def welcome(
    company: str, site_url: str, portal_url: str, signin_url: str, expires_days: int = 7
) -> dict[str, Any]:
    return {
        "company": company,
        "site_url": site_url,
        "portal_url": portal_url,
        "signin_url": signin_url,
        "expires_in": _count(expires_days, "day"),
    }


def password_reset(reset_url: str, expires_minutes: int) -> dict[str, Any]:
    return {"reset_url": reset_url, "expires_in": _count(expires_minutes, "minute")}


def dunning(
    company: str,
    amount_due_cents: int,
    currency: str,
    hosted_invoice_url: str,
    billing_url: str,
    grace_days_left: int,
) -> dict[str, Any]:
    return {
        "company": company,
        "amount_due": format_money(amount_due_cents, currency),
        "hosted_invoice_url": hosted_invoice_url,
        "billing_url": billing_url,
        "suspends": _in_days(grace_days_left),
    }


def suspended(company: str, billing_url: str) -> dict[str, Any]:
    return {"company": company, "billing_url": billing_url}


def reactivated(company: str, portal_url: str) -> dict[str, Any]:
    return {"company": company, "portal_url": portal_url}


def closing_reminder(company: str, delete_on_date: date | str, billing_url: str) -> dict[str, Any]:
    if isinstance(delete_on_date, str):  # as stored in the mail outbox (JSON)
        delete_on_date = date.fromisoformat(delete_on_date)
    return {
        "company": company,
        "delete_on": format_date(delete_on_date),
        "billing_url": billing_url,
    }


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


def domain_lost(company: str, domain: str, served_until: str, domains_url: str) -> dict[str, Any]:
    """A verified domain's DNS records are gone or changed; it is served until ``served_until``."""
    return {"company": company, "domain": domain, "served_until": served_until,
            "domains_url": domains_url}


def domain_claim_dropped(company: str, domain: str, domains_url: str) -> dict[str, Any]:
    """Another site proved it owns a domain the company had added but not verified."""
    return {"company": company, "domain": domain, "domains_url": domains_url}
