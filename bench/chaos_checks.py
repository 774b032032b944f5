"""What the chaos run measures: the state of the database and of the local Resend, and every
kind of duplicate side effect, counted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from db.models import MailLog, ProvisioningRun, StripeEvent, Tenant
from db.models.mail import MailStatus
from db.models.tenants import BillingState, ProvisioningState
from tenants.site_content import load_site_template


@dataclass
class Snapshot:
    tenants: int
    live: int  # status 'active' (provisioned), whatever the billing state
    active: int  # live and billing_state 'active'
    billing_states: Counter
    runs: Counter
    welcome_sent: int  # MailLog rows of kind welcome with status sent
    welcome_recipients: int
    events_stored: int
    unprocessed: int  # processed_at IS NULL
    failed_events: int  # given up on (failed_at set)
    outbox_pending: int  # queued mails not yet sent
    mails: Counter  # (kind, status) -> MailLog rows

    def line(self) -> str:
        return (f"tenants={self.tenants} live={self.live} active={self.active} "
                f"runs={dict(self.runs)} welcome_sent={self.welcome_sent} "
                f"events={self.events_stored} unprocessed={self.unprocessed} "
                f"outbox_pending={self.outbox_pending}")


def snapshot(engine: Engine) -> Snapshot:
    with Session(engine) as session:
        states = Counter(dict(session.execute(
            select(Tenant.billing_state, func.count()).group_by(Tenant.billing_state)).all()))
        provisioned = Tenant.provisioning_state == ProvisioningState.ACTIVE
        live = session.scalar(select(func.count()).where(provisioned))
        active = session.scalar(select(func.count()).where(
            provisioned, Tenant.billing_state == BillingState.ACTIVE))
        runs = Counter(dict(session.execute(
            select(ProvisioningRun.status, func.count()).group_by(ProvisioningRun.status)).all()))
        welcome = session.execute(
            select(func.count(), func.count(func.distinct(MailLog.to_address)))
            .where(MailLog.kind == "welcome", MailLog.status == MailStatus.SENT)).one()
        events = session.execute(select(
            func.count(), func.count().filter(StripeEvent.processed_at.is_(None)),
            func.count().filter(StripeEvent.failed_at.is_not(None)))).one()
        mails = Counter({(kind, status): n for kind, status, n in session.execute(
            select(MailLog.kind, MailLog.status, func.count()).group_by(MailLog.kind, MailLog.status))})
        pending = session.scalar(select(func.count()).where(
            MailLog.status == MailStatus.PENDING, MailLog.params.is_not(None)))
    return Snapshot(tenants=sum(states.values()), live=live, active=active, billing_states=states,
                    runs=runs, welcome_sent=welcome[0], welcome_recipients=welcome[1],
                    events_stored=events[0], unprocessed=events[1], failed_events=events[2],
                    outbox_pending=pending, mails=mails)


# Mails the local Resend accepted


def resend_mails(resend, prefix: str) -> list[dict]:
    """Accepted mails whose idempotency key starts with ``prefix`` (welcome-, reactivated-...)."""
    return [mail for mail in resend.emails if (mail.get("idempotency_key") or "").startswith(prefix)]


def recipient(mail: dict) -> str:
    to = mail["body"]["to"]
    return (to[0] if isinstance(to, list) else to).lower()


def extra(counts) -> int:
    """How many more than one there are, summed: {a: 1, b: 3} -> 2."""
    return sum(n - 1 for n in counts if n > 1)


# Duplicate side effects

DUPLICATE_QUERIES = {
    "tenant twice for one signup":
        "SELECT count(*) FROM tenants GROUP BY signup_id",
    "signup twice for one email":
        "SELECT count(*) FROM signups GROUP BY lower(email)",
    "user twice for one email":
        "SELECT count(*) FROM users GROUP BY lower(email)",
    "owner twice in one tenant":
        "SELECT count(*) FROM users WHERE role = 'owner' GROUP BY tenant_id",
    "provisioning run twice for one signup":
        "SELECT count(*) FROM provisioning_runs GROUP BY signup_id",
    "welcome mail twice for one tenant (mail_log)":
        "SELECT count(*) FROM mail_log WHERE kind = 'welcome' AND status = 'sent' GROUP BY tenant_id",
    "welcome mail twice to one address (mail_log)":
        "SELECT count(*) FROM mail_log WHERE kind = 'welcome' AND status = 'sent' GROUP BY to_address",
    "welcome sign-in link twice for one owner":
        "SELECT count(*) FROM login_tokens WHERE purpose = 'welcome' GROUP BY user_id",
    "Stripe customer twice for one signup":
        "SELECT count(*) FROM stripe_events WHERE type = 'customer.created' "
        "GROUP BY payload->'data'->'object'->'metadata'->>'signup_id'",
    "Checkout paid twice for one signup":
        "SELECT count(DISTINCT payload->'data'->'object'->>'id') FROM stripe_events "
        "WHERE type = 'checkout.session.completed' "
        "GROUP BY payload->'data'->'object'->>'client_reference_id'",
    "suspension twice for one tenant (tenant_events)":
        "SELECT count(*) FROM tenant_events WHERE kind = 'suspended' GROUP BY tenant_id",
    "reactivation twice for one tenant (tenant_events)":
        "SELECT count(*) FROM tenant_events WHERE kind = 'reactivated' GROUP BY tenant_id",
    "suspension mail twice for one tenant (mail_log)":
        "SELECT count(*) FROM mail_log WHERE kind = 'suspended' AND status = 'sent' GROUP BY tenant_id",
    "reactivation mail twice for one tenant (mail_log)":
        "SELECT count(*) FROM mail_log WHERE kind = 'reactivated' AND status = 'sent' GROUP BY tenant_id",
}


def template_counts() -> dict[str, tuple[int, int]]:
    counts = {}
    for template in ("corporate", "portfolio", "blog", "ecommerce", "b2b"):
        content = load_site_template(template)
        counts[template] = (len(content.pages), len(content.products))
    return counts


def seeding_mismatches(session: Session) -> tuple[int, int, list[str]]:
    """Tenants whose pages (and products) differ in number from their template's."""
    expected = template_counts()
    rows = session.execute(text(
        "SELECT t.id, t.template, "
        "(SELECT count(*) FROM pages p WHERE p.tenant_id = t.id), "
        "(SELECT count(*) FROM products p WHERE p.tenant_id = t.id) "
        "FROM tenants t WHERE t.provisioning_state = 'active'")).all()
    pages = products = 0
    examples = []
    for tenant_id, template, page_count, product_count in rows:
        want_pages, want_products = expected[template]
        if page_count != want_pages:
            pages += 1
            examples.append(f"tenant {tenant_id} ({template}): {page_count} pages, want {want_pages}")
        if product_count != want_products:
            products += 1
            examples.append(f"tenant {tenant_id} ({template}): {product_count} products, "
                            f"want {want_products}")
    return pages, products, examples[:5]


def duplicate_effects(engine: Engine, resend, paid_count: int) -> tuple[dict[str, int], list[str]]:
    """Every kind of doubled side effect with how many extra there are; plus examples."""
    found: dict[str, int] = {}
    with Session(engine) as session:
        for name, query in DUPLICATE_QUERIES.items():
            found[name] = extra(n for (n,) in session.execute(text(query)))
        tenants = session.scalar(select(func.count()).select_from(Tenant))
        found["tenants beyond the paid signups"] = max(0, tenants - paid_count)
        pages, products, examples = seeding_mismatches(session)
    found["tenant whose page count differs from its template"] = pages
    found["tenant whose product count differs from its template"] = products
    for kind in ("welcome", "suspended", "reactivated"):
        accepted = Counter(recipient(mail) for mail in resend_mails(resend, f"{kind}-"))
        found[f"{kind} mail accepted twice for one address (Resend)"] = extra(accepted.values())
    return found, examples
