"""What the platform API answers, as JSON-ready dicts: a tenant's row in the list, its whole
file, the revenue figures. Only what staff need: no password hashes, no tokens or keys, no
sign-in links (a mail's parameters, an event's payload, an invoice's payment page stay out)."""

from __future__ import annotations

from datetime import date, datetime

from db.models import Tenant
from db.models.mail import MailStatus
from staff.revenue import MrrNow, PlanTenants
from staff.tenant_file import TenantFile
from staff.tenant_search import Page, TenantRow
from tenants.domains import display as display_name

RECENT_ITEMS = 20  # events, mails, history and audit entries listed (the counts say more)


def when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def row(found: TenantRow) -> dict:
    return {"id": found.id, "company": found.company, "subdomain": found.subdomain,
            "plan": found.plan_id, "billing_state": found.billing_state,
            "owner_email": found.owner_email, "created_at": when(found.created_at),
            "trial": found.trial, "trial_end": when(found.trial_end), "health": found.health,
            "problems": list(found.problems)}


def page(found: Page) -> dict:
    return {"data": [row(r) for r in found.rows], "page": found.page, "size": found.size,
            "total": found.total, "pages": found.pages, "has_more": found.has_more}


def tenant(t: Tenant) -> dict:
    return {
        "id": t.id, "company": t.company, "subdomain": t.subdomain, "plan": t.plan_id,
        "interval": t.interval, "template": t.template, "billing_state": t.billing_state,
        "provisioning_state": t.provisioning_state, "language": t.language,
        "languages": list(t.languages or []), "time_zone": t.time_zone,
        "created_at": when(t.created_at), "signup_id": t.signup_id,
        "stripe_customer_id": t.stripe_customer_id,
        "stripe_subscription_id": t.stripe_subscription_id,
        "past_due_since": when(t.past_due_since), "grace_until": when(t.grace_until),
        "suspended_at": when(t.suspended_at), "suspension_reason": t.suspension_reason,
        "closed_at": when(t.closed_at), "data_deleted_at": when(t.data_deleted_at),
        "scheduled_change": {"plan": t.scheduled_plan_id, "interval": t.scheduled_interval,
                             "at": when(t.scheduled_change_at)} if t.scheduled_plan_id else None,
    }


def _subscription(file: TenantFile) -> dict | None:
    s = file.subscription
    if s is None:
        return None
    return {"id": s.id, "status": s.status, "plan": s.plan_id, "interval": s.interval,
            "price_lookup_key": s.price_lookup_key,
            "cancel_at_period_end": s.cancel_at_period_end,
            "current_period_end": when(s.current_period_end), "canceled_at": when(s.canceled_at),
            "trial_end": when(s.trial_end), "discount_coupon": s.discount_coupon,
            "failed_payment_count": s.failed_payment_count,
            "payment_method": {"type": s.payment_method_type, "brand": s.payment_method_brand,
                               "last4": s.payment_method_last4}
            if s.payment_method_type else None}


def _run(file: TenantFile) -> dict | None:
    run = file.run
    if run is None:
        return None
    return {"signup_id": run.signup_id, "status": run.status, "attempts": run.attempts,
            "error": run.error, "started_at": when(run.started_at),
            "finished_at": when(run.finished_at),
            "steps": [{"name": step.name, "outcome": step.outcome, "detail": step.detail,
                       "started_at": when(step.started_at), "finished_at": when(step.finished_at)}
                      for step in run.steps]}


def tenant_file(file: TenantFile) -> dict:
    """Everything the back office's tenant page shows, as data."""
    return {
        **tenant(file.tenant),
        "subscription": _subscription(file),
        "invoices": [{"id": i.id, "number": i.number, "status": i.status,
                      "billing_reason": i.billing_reason, "currency": i.currency,
                      "amount_due": i.amount_due, "amount_paid": i.amount_paid,
                      "total": i.total, "tax": i.tax, "created": when(i.created),
                      "paid_at": when(i.paid_at)} for i in file.invoices],
        "usage": [{"name": u.name, "used": u.used, "limit": u.limit, "left": u.left,
                   "over": u.over} for u in file.usage],
        "provisioning": _run(file),
        "domains": [{"name": d.name, "shown_as": display_name(d.name), "status": d.status,
                     "is_primary": d.is_primary, "detail": d.detail,
                     "verified_at": when(d.verified_at), "lost_at": when(d.lost_at),
                     "last_checked_at": when(d.last_checked_at)} for d in file.domains],
        "members": [{"id": m.id, "email": m.email, "role": m.role, "language": m.language,
                     "created_at": when(m.created_at), "last_login_at": when(m.last_login_at)}
                    for m in file.members],
        "timeline": [{"kind": e.kind, "detail": e.detail, "actor": e.actor,
                      "at": when(e.created_at)} for e in file.timeline[:RECENT_ITEMS]],
        "stripe_events": {
            "recent": len(file.stripe_events),
            "failed": sum(e.failed_at is not None for e in file.stripe_events),
            "unprocessed": sum(e.processed_at is None for e in file.stripe_events),
            "items": [{"id": e.id, "type": e.type, "received_at": when(e.received_at),
                       "processed_at": when(e.processed_at), "failed_at": when(e.failed_at),
                       "attempts": e.attempts, "last_error": e.last_error}
                      for e in file.stripe_events[:RECENT_ITEMS]]},
        "mails": {
            "recent": len(file.mails),
            "failed": sum(m.status == MailStatus.FAILED for m in file.mails),
            "items": [{"kind": m.kind, "status": m.status, "to": m.to_address,
                       "attempts": m.attempts, "last_error": m.last_error,
                       "created_at": when(m.created_at), "accepted_at": when(m.accepted_at)}
                      for m in file.mails[:RECENT_ITEMS]]},
        "audit": [{"at": when(a.at), "staff_email": a.staff_email, "action": a.action,
                   "reason": a.reason, "outcome": a.outcome}
                  for a in file.audit[:RECENT_ITEMS]],
    }


def stats(now: datetime, currency: str, figures: MrrNow, plans: list[PlanTenants]) -> dict:
    return {"as_of": when(now), "currency": currency,
            "mrr_cents": figures.mrr_cents, "arr_cents": figures.arr_cents,
            "arpa_cents": figures.arpa_cents, "paying": figures.paying_tenants,
            "trialing": figures.trialing, "trialing_mrr_cents": figures.trialing_mrr_cents,
            "past_due": figures.past_due, "past_due_mrr_cents": figures.past_due_mrr_cents,
            "tenants_per_plan": [{"plan": p.plan_id, "paying": p.paying,
                                  "trialing": p.trialing, "past_due": p.past_due}
                                 for p in plans]}
