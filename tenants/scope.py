"""The one way to query tenant-owned rows: every query for one goes through ``scoped``.

Row-level security in PostgreSQL is the second wall: a transaction marked with ``use_tenant``
runs as the ``contyzr_tenant`` role with ``app.tenant_id`` set, and the policies (migrations
0002 and 0005) hide every row of another tenant even from a query that forgot its filter.
The role is granted only what a portal or API request needs: its own tenant row (and of it,
only its look and time zone to change), its own domains (pending claims, "Check now", the
main address, removal; never their state), the team, invitations, API keys, the site's
content, read access to the invoices and subscriptions of its own Stripe customer, and the
contact form's messages (read, mark handled, delete; the public site stores them
unconfined). Everything else
(signups, subdomains, Stripe events, provisioning, mail, sign-in tokens, the event log) is
refused to it; sign-in, onboarding, webhooks, jobs and staff run unconfined.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Select, event, select, text
from sqlalchemy.orm import Session

T = TypeVar("T")

TENANT_ROLE = "contyzr_tenant"
MAX_ID = 2**31 - 1
# Tables whose rows belong to one tenant, each with a tenant_id column and an RLS policy.
TENANT_TABLES = ("users", "pages", "posts", "products", "media_files", "login_tokens",
                 "api_keys", "invites", "tenant_events", "mail_log", "provisioning_runs",
                 "contact_submissions", "page_translations", "post_translations",
                 "product_translations", "shops", "orders", "order_items", "order_events",
                 "site_health", "site_checks", "site_uptime_days", "assistant_requests",
                 "content_revisions")
# Tables of one Stripe customer: the policy lets a tenant see those of its stripe_customer_id.
CUSTOMER_TABLES = ("invoices", "subscriptions")


def scoped(model: type[T], tenant_id: int) -> Select[tuple[T]]:
    return select(model).where(model.tenant_id == tenant_id)


def get_scoped(session: Session, model: type[T], tenant_id: int, row_id) -> T | None:
    """The row with this id if it belongs to this tenant; None (so: 404) otherwise."""
    try:
        row_id = int(row_id)
    except (TypeError, ValueError):
        return None
    if not 0 < row_id <= MAX_ID:  # beyond PostgreSQL's integer: no such row, not an error
        return None
    return session.scalar(scoped(model, tenant_id).where(model.id == row_id))


def use_tenant(session: Session, tenant_id: int) -> None:
    """From the next transaction on, this session is confined to one tenant's rows."""
    session.info["tenant_id"] = tenant_id
    if session.in_transaction():
        _confine(session, session.connection())


def release_tenant(session: Session) -> None:
    if session.info.pop("tenant_id", None) is not None and session.in_transaction():
        session.execute(text("RESET ROLE"))
        session.execute(text("SELECT set_config('app.tenant_id', '', true)"))


@contextmanager
def unconfined(session: Session) -> Iterator[None]:
    """Inside a confined transaction, run the block as the app's own role, then confine again.

    Only for a fixed write the request's change causes outside the tenant role's grants: the
    outbox row of an invitation's mail, queued in the same transaction as the invitation."""
    tenant_id = session.info.get("tenant_id")
    if tenant_id is None or not session.in_transaction():
        yield
        return
    session.flush()
    session.execute(text("RESET ROLE"))
    try:
        yield
        session.flush()
    finally:
        _confine(session, session.connection())


def _confine(session: Session, connection) -> None:
    connection.execute(text(f"SET LOCAL ROLE {TENANT_ROLE}"))
    connection.execute(text("SELECT set_config('app.tenant_id', :tenant, true)"),
                       {"tenant": str(session.info["tenant_id"])})


@event.listens_for(Session, "after_begin")
def _confine_new_transaction(session: Session, transaction, connection) -> None:
    if session.info.get("tenant_id") is not None:
        _confine(session, connection)
