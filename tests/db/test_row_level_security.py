"""Row-level security and the tenant role's grants: the second wall behind tenants.scope.

A portal or API request runs as ``contyzr_tenant`` with ``app.tenant_id`` set. It sees its own
tenant's rows only, and of the tables outside a tenant's business (signups, Stripe events,
provisioning, mail, sign-in tokens, the event log) nothing at all.
"""

import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import ProgrammingError

from db.base import utcnow
from db.models import (
    ApiKey,
    AssistantRequest,
    ContactSubmission,
    CustomDomain,
    Invite,
    Invoice,
    LoginToken,
    MediaFile,
    Order,
    OrderEvent,
    OrderItem,
    Page,
    PageTranslation,
    Post,
    PostTranslation,
    Product,
    ProductTranslation,
    Revision,
    Shop,
    SiteCheck,
    SiteHealth,
    SiteUptimeDay,
    Subscription,
    Tenant,
    TenantEvent,
    User,
)
from db.models.domains import DomainStatus
from tenants.scope import CUSTOMER_TABLES, TENANT_TABLES, release_tenant, use_tenant

import factories

# Everything the tenant role may do, table by table (migration 0005). Tables not named here
# are refused to it entirely.
GRANTS = {
    "tenants": {"SELECT"},
    "users": {"SELECT", "UPDATE", "DELETE"},
    "invites": {"SELECT", "INSERT", "DELETE"},
    "api_keys": {"SELECT", "INSERT", "UPDATE"},
    "pages": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "posts": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "products": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "media_files": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "invoices": {"SELECT"},
    "subscriptions": {"SELECT"},
    "contact_submissions": {"SELECT", "UPDATE", "DELETE"},  # the portal's inbox
    # Claims (RLS: pending only), "Check now", removal; UPDATE by column (0012).
    "custom_domains": {"SELECT", "INSERT", "DELETE"},
    # A multi-language site's texts in its other languages (0013).
    "page_translations": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "post_translations": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    "product_translations": {"SELECT", "INSERT", "UPDATE", "DELETE"},
    # The webshop (0017): its Stripe account and shipping; orders made unconfined by the site
    # and the Connect events, shipped and refunded in the portal (UPDATE by column).
    "shops": {"SELECT", "INSERT", "UPDATE"},
    "orders": {"SELECT"},
    "order_items": {"SELECT"},
    "order_events": {"SELECT", "INSERT"},
    # Monitoring (0022): the tenant reads its own site's health, checks and uptime; only the
    # checker (the app's own role) writes them.
    "site_health": {"SELECT"},
    "site_checks": {"SELECT"},
    "site_uptime_days": {"SELECT"},
    # The writing assistant (0026): a request counted, then finished or failed.
    "assistant_requests": {"SELECT", "INSERT", "UPDATE"},
    # The revision history (0027): a revision kept on each save, the oldest beyond 50 deleted.
    "content_revisions": {"SELECT", "INSERT", "DELETE"},
}
ORDER_COLUMNS_UPDATABLE = {"status", "tracking_url", "shipped_at", "closed_at", "refunded_cents",
                           "updated_at"}
# Of its own tenant row, the tenant may change only these.
TENANT_COLUMNS_UPDATABLE = {"updated_at", "site_settings", "time_zone", "language", "languages"}
# Tables a request never needs: reading them, let alone writing, is refused.
NOT_THE_TENANTS_BUSINESS = ("signups", "subdomains", "stripe_events", "provisioning_runs",
                            "provisioning_steps", "mail_log", "login_tokens", "tenant_events",
                            "mrr_changes", "incidents", "alembic_version")
# A claim as the portal inserts it (tenants.domains.add_domain).
CLAIM = ("INSERT INTO custom_domains (tenant_id, name, status, is_primary, next_check_at, "
         "failed_checks) VALUES (:tenant, :name, 'pending', false, now(), 0)")
PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


@contextmanager
def confined(session, tenant_id):
    use_tenant(session, tenant_id)
    try:
        yield
    finally:
        release_tenant(session)


def refused(session, statement, params=None):
    with pytest.raises(ProgrammingError, match="permission denied"):
        with session.begin_nested():
            session.execute(text(statement) if isinstance(statement, str) else statement,
                            params or {})


def public_tables(session) -> list[str]:
    return session.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                                "ORDER BY tablename")).all()


def every_kind_of_row(session, tenant):
    """A row of every tenant-owned kind, so that each table has something to hide."""
    owner = session.scalar(select(User).where(User.tenant_id == tenant.id))
    page = session.scalar(select(Page).where(Page.tenant_id == tenant.id).limit(1))
    unique = uuid.uuid4().hex[:8]
    post = Post(tenant_id=tenant.id, slug=f"p-{unique}", title="Theirs", body="x")
    product = Product(tenant_id=tenant.id, slug=f"x-{unique}", name="Theirs", price_cents=100)
    session.add_all([post, product])
    session.flush()
    session.add_all([
        PageTranslation(tenant_id=tenant.id, page_id=page.id, language="de", title="Ihre",
                        blocks=[]),
        PostTranslation(tenant_id=tenant.id, post_id=post.id, language="de", title="Ihre"),
        ProductTranslation(tenant_id=tenant.id, product_id=product.id, language="de",
                           name="Ihre"),
        MediaFile(tenant_id=tenant.id, filename="a.png", storage_name=unique,
                  content_type="image/png", size_bytes=10),
        Invite(tenant_id=tenant.id, email=f"i-{unique}@example.com", role="editor",
               token_hash=uuid.uuid4().hex, expires_at=utcnow() + timedelta(days=7)),
        ApiKey(tenant_id=tenant.id, name="k", prefix=unique, key_hash=uuid.uuid4().hex),
        LoginToken(tenant_id=tenant.id, user_id=owner.id, purpose="reset",
                   token_hash=uuid.uuid4().hex, expires_at=utcnow() + timedelta(hours=1)),
        TenantEvent(tenant_id=tenant.id, kind="test", detail="theirs", actor="test"),
        Invoice(id=f"in_{unique}", customer_id=tenant.stripe_customer_id, status="paid",
                created=utcnow()),
        Subscription(id=f"sub_{unique}", customer_id=tenant.stripe_customer_id, status="active"),
        ContactSubmission(tenant_id=tenant.id, name="Theirs", email="a@example.com",
                          message="theirs"),
        Shop(tenant_id=tenant.id, stripe_account_id=f"acct_{unique}", charges_enabled=True,
             payouts_enabled=True, details_submitted=True, pickup=False, pickup_address=""),
    ])
    order = Order(tenant_id=tenant.id, language="nl", stripe_account_id=f"acct_{unique}",
                  status="paid", number=1001)
    session.add(order)
    session.flush()
    session.add_all([
        OrderItem(tenant_id=tenant.id, order_id=order.id, product_id=product.id, name="Theirs",
                  unit_cents=100, quantity=1, vat_rate=21),
        OrderEvent(tenant_id=tenant.id, order_id=order.id, kind="paid"),
        SiteHealth(tenant_id=tenant.id, status="healthy", response_ms=120),
        SiteCheck(tenant_id=tenant.id, checked_at=utcnow(), status="healthy", response_ms=120),
        SiteUptimeDay(tenant_id=tenant.id, day=utcnow().date(), checks=[1] * 24, up=[1] * 24,
                      response_ms=[120] * 24),
        AssistantRequest(tenant_id=tenant.id, action="draft", model="m"),
        Revision(tenant_id=tenant.id, page_id=page.id, user_id=owner.id, change="block",
                 detail="text", content={"title": "Theirs"}),
    ])
    session.commit()


def test_a_query_without_its_tenant_filter_still_sees_one_tenant(app, db_session, mails):
    first = factories.tenant(app, db_session, company="First")
    second = factories.tenant(app, db_session, company="Second")
    everything = db_session.scalar(select(func.count()).select_from(Page)
                                   .where(Page.tenant_id.in_([first.id, second.id])))
    assert everything > 0

    use_tenant(db_session, first.id)
    try:
        # The filter is "forgotten" on purpose: RLS must still hide the other tenant.
        visible = db_session.scalars(select(Page.tenant_id)).all()
        assert visible and set(visible) == {first.id}
        assert db_session.scalars(select(User.tenant_id)).all() == [first.id]
        assert db_session.scalars(select(Tenant.id)).all() == [first.id]
        role = db_session.execute(text("SELECT current_user")).scalar()
        assert role == "contyzr_tenant"
    finally:
        release_tenant(db_session)
    assert db_session.execute(text("SELECT current_user")).scalar() != "contyzr_tenant"


def test_writing_a_row_for_another_tenant_is_refused(app, db_session, mails):
    first = factories.tenant(app, db_session, company="First")
    second = factories.tenant(app, db_session, company="Second")
    use_tenant(db_session, first.id)
    try:
        with pytest.raises(ProgrammingError, match="row-level security"):
            with db_session.begin_nested():
                db_session.add(Page(tenant_id=second.id, slug="intruder", title="Intruder"))
                db_session.flush()
    finally:
        release_tenant(db_session)


def test_signups_stripe_events_and_the_rest_are_closed_to_the_tenant_role(app, db_session, mails):
    tenant = factories.tenant(app, db_session)
    signup_id = db_session.scalar(select(Tenant.signup_id).where(Tenant.id == tenant.id))
    with confined(db_session, tenant.id):
        for table in NOT_THE_TENANTS_BUSINESS:
            refused(db_session, f"SELECT count(*) FROM {table}")
        # Not even its own signup (its password hash) or its customer's events.
        refused(db_session, "SELECT email FROM signups WHERE id = :id", {"id": signup_id})
        refused(db_session, "INSERT INTO signups (id) VALUES ('forged')")
        refused(db_session, "UPDATE signups SET status = 'paid' WHERE id = :id", {"id": signup_id})
        refused(db_session, "INSERT INTO stripe_events (id) VALUES ('evt_forged')")
        refused(db_session, "DELETE FROM stripe_events")
        refused(db_session, "INSERT INTO mail_log (idempotency_key) VALUES ('forged')")
        refused(db_session, "INSERT INTO tenant_events (tenant_id) VALUES (:id)", {"id": tenant.id})
        refused(db_session, "INSERT INTO invoices (id) VALUES ('in_forged')")
        refused(db_session, "UPDATE subscriptions SET status = 'active'")
        # Its plan and billing state are the billing rules' to write, not the tenant's.
        refused(db_session, update(Tenant).where(Tenant.id == tenant.id)
                .values(billing_state="active", plan_id="enterprise"))
        refused(db_session, "DELETE FROM tenants")
        # Its site's health is the checker's to write: read-only to the tenant.
        refused(db_session, "UPDATE site_health SET status = 'healthy'")
        refused(db_session, "DELETE FROM site_checks")
        refused(db_session, "INSERT INTO site_uptime_days (tenant_id, day, checks, up, "
                            "response_ms) VALUES (:id, now(), '{}', '{}', '{}')", {"id": tenant.id})
        # What the portal does change still works: its own settings, a claim on a domain.
        with db_session.begin_nested():
            changed = db_session.execute(update(Tenant).where(Tenant.id == tenant.id)
                                         .values(time_zone="Europe/London")).rowcount
            claimed = db_session.execute(text(CLAIM), {"tenant": tenant.id,
                                                       "name": "www.example.org"}).rowcount
        assert changed == 1 and claimed == 1


def test_no_row_of_another_tenant_is_visible_or_writable(app, db_session, mails):
    # Provisioned for real: their welcome mails and sign-in links are rows of theirs too.
    mine = factories.tenant(app, db_session, plan="professional", company="Mine", provision=True)
    theirs = factories.tenant(app, db_session, plan="professional", company="Theirs", provision=True)
    every_kind_of_row(db_session, mine)
    every_kind_of_row(db_session, theirs)
    for table in TENANT_TABLES:  # each table really holds something of theirs
        assert db_session.scalar(text(f"SELECT count(*) FROM {table} WHERE tenant_id = :id"),
                                 {"id": theirs.id}), table

    with confined(db_session, mine.id):
        for table in TENANT_TABLES:
            if table in NOT_THE_TENANTS_BUSINESS:
                continue  # refused outright (previous test)
            seen = db_session.scalars(text(f"SELECT DISTINCT tenant_id FROM {table}")).all()
            assert seen == [mine.id], table
        # Invoices and subscriptions: those of its own Stripe customer only.
        assert set(db_session.scalars(select(Invoice.customer_id))) == {mine.stripe_customer_id}
        assert set(db_session.scalars(select(Subscription.customer_id))) == {mine.stripe_customer_id}
        # Changing or deleting their rows finds nothing to change.
        with db_session.begin_nested():
            assert db_session.execute(update(Tenant).where(Tenant.id == theirs.id)
                                      .values(time_zone="Europe/London")).rowcount == 0
            assert db_session.execute(update(User).where(User.tenant_id == theirs.id)
                                      .values(role="editor")).rowcount == 0
            assert db_session.execute(text("DELETE FROM pages WHERE tenant_id = :id"),
                                      {"id": theirs.id}).rowcount == 0
    db_session.expire_all()
    assert db_session.get(Tenant, theirs.id).time_zone == "Europe/Amsterdam"
    assert db_session.scalar(select(func.count()).select_from(Page)
                             .where(Page.tenant_id == theirs.id)) > 0


def test_every_table_with_a_tenant_id_has_row_level_security(db_session):
    with_tenant_id = set(db_session.scalars(text(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'tenant_id'")))
    # mrr_changes: the revenue ledger (0018), the agency's alone, refused to the tenant role.
    # The staff's audit log names a tenant but is no tenant's: the tenant role has no grant
    # on it at all (test_the_tenant_role_holds_exactly_the_grants_a_request_needs); nor are
    # the alert rules' incidents (0022), which name a tenant but are the staff's.
    assert with_tenant_id - {"staff_audit", "incidents"} == set(TENANT_TABLES) | {
        "custom_domains", "mrr_changes"}
    for table in (*TENANT_TABLES, *CUSTOMER_TABLES, "tenants", "custom_domains", "mrr_changes"):
        enabled, forced = db_session.execute(text(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE oid = CAST(:table AS regclass)"), {"table": table}).one()
        assert enabled and forced, table
        policies = db_session.scalars(text(
            "SELECT qual FROM pg_policies WHERE tablename = :table "
            "AND permissive = 'PERMISSIVE'"), {"table": table}).all()
        assert len(policies) == 1 and "app.tenant_id" in policies[0], table
    # Domains: besides, a tenant's new row is only ever a pending claim.
    restrictive = db_session.execute(text(
        "SELECT cmd, with_check FROM pg_policies WHERE tablename = 'custom_domains' "
        "AND permissive = 'RESTRICTIVE'")).all()
    assert [(cmd, "'pending'" in check) for cmd, check in restrictive] == [("INSERT", True)]


def test_the_tenant_role_holds_exactly_the_grants_a_request_needs(db_session):
    held = {}
    for table in public_tables(db_session):
        privileges = {privilege for privilege in PRIVILEGES if db_session.scalar(
            text("SELECT has_table_privilege('contyzr_tenant', :table, :privilege)"),
            {"table": f"public.{table}", "privilege": privilege})}
        if privileges:
            held[table] = privileges
    assert held == GRANTS
    columns = set(db_session.scalars(text(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = 'tenants' "
        "AND has_column_privilege('contyzr_tenant', 'public.tenants', column_name, 'UPDATE')")))
    assert columns == TENANT_COLUMNS_UPDATABLE
    # No column-level grant anywhere else: a new column follows its table's grant.
    column_grants = db_session.scalars(text(
        "SELECT DISTINCT table_name FROM information_schema.column_privileges "
        "WHERE grantee = 'contyzr_tenant' AND table_schema = 'public' "
        "AND privilege_type IN ('INSERT', 'UPDATE')")).all()
    assert set(column_grants) <= {table for table, granted in GRANTS.items()
                                  if granted & {"INSERT", "UPDATE"}} | {"tenants", "custom_domains",
                                                                         "orders"}
    order_columns = set(db_session.scalars(text(
        "SELECT column_name FROM information_schema.column_privileges "
        "WHERE grantee = 'contyzr_tenant' AND table_name = 'orders' "
        "AND privilege_type = 'UPDATE'")))
    assert order_columns == ORDER_COLUMNS_UPDATABLE  # never its amounts, number or account
    domain_columns = set(db_session.execute(text(
        "SELECT privilege_type, column_name FROM information_schema.column_privileges "
        "WHERE grantee = 'contyzr_tenant' AND table_name = 'custom_domains' "
        "AND privilege_type = 'UPDATE'")).all())
    assert {column for _, column in domain_columns} == {"is_primary", "next_check_at",
                                                        "checks_often_until"}


def test_the_tenant_role_claims_domains_but_never_decides_their_state(app, db_session, mails):
    mine = factories.tenant(app, db_session, plan="professional", company="Mine")
    theirs = factories.tenant(app, db_session, plan="professional", company="Theirs")
    db_session.add_all([
        CustomDomain(tenant_id=mine.id, name="mine.example.org", status=DomainStatus.VERIFIED),
        CustomDomain(tenant_id=theirs.id, name="theirs.example.org", status=DomainStatus.VERIFIED)])
    db_session.commit()
    own_id = db_session.scalar(select(CustomDomain.id).where(CustomDomain.tenant_id == mine.id))

    with confined(db_session, mine.id):
        # A verified row cannot be forged, nor a pending one turned verified.
        with pytest.raises(ProgrammingError, match="row-level security"):
            with db_session.begin_nested():
                db_session.execute(text(CLAIM.replace("'pending'", "'verified'")),
                                   {"tenant": mine.id, "name": "forged.example.org"})
        refused(db_session, update(CustomDomain).where(CustomDomain.id == own_id)
                .values(status=DomainStatus.PENDING))
        refused(db_session, update(CustomDomain).where(CustomDomain.id == own_id)
                .values(verified_at=utcnow()))
        # Their rows are invisible, cannot be deleted or claimed for them.
        assert db_session.scalars(select(CustomDomain.name)).all() == ["mine.example.org"]
        with db_session.begin_nested():
            assert db_session.execute(text("DELETE FROM custom_domains WHERE tenant_id = :id"),
                                      {"id": theirs.id}).rowcount == 0
        with pytest.raises(ProgrammingError, match="row-level security"):
            with db_session.begin_nested():
                db_session.execute(text(CLAIM), {"tenant": theirs.id, "name": "x.example.org"})
        # What the portal does: choose the main address, ask for a check, remove its own.
        with db_session.begin_nested():
            assert db_session.execute(update(CustomDomain).where(CustomDomain.id == own_id)
                                      .values(is_primary=True, next_check_at=utcnow())).rowcount == 1
            assert db_session.execute(text("DELETE FROM custom_domains WHERE id = :id"),
                                      {"id": own_id}).rowcount == 1
    db_session.expire_all()
    assert db_session.scalars(select(CustomDomain.status).where(
        CustomDomain.tenant_id == theirs.id)).all() == [DomainStatus.VERIFIED]


def test_the_tenant_roles_writes_move_its_own_site_version_only(app, db_session, mails):
    """The page cache's version (migration 0023): content written under the tenant role moves
    the version of its own site, through the triggers; the role cannot write it itself."""
    first = factories.tenant(app, db_session, company="First")
    second = factories.tenant(app, db_session, company="Second")

    def versions():
        return dict(db_session.execute(text(
            "SELECT id, site_version FROM tenants WHERE id IN (:a, :b)"),
            {"a": first.id, "b": second.id}).all())

    before = versions()
    with confined(db_session, first.id):
        db_session.execute(text("UPDATE pages SET title = title || '!' WHERE tenant_id = :t"),
                           {"t": first.id})
        db_session.execute(text("UPDATE tenants SET site_settings = '{\"tagline\": \"New\"}' "
                                "WHERE id = :t"), {"t": first.id})
        refused(db_session, "UPDATE tenants SET site_version = 1")
    after = versions()
    assert after[first.id] == before[first.id] + 2  # one per statement, not per page
    assert after[second.id] == before[second.id]
