"""the tenant database role: only what a portal or API request needs, RLS on every tenant_id table

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# What a portal or API request (SET LOCAL ROLE contyzr_tenant) may do, table by table. Every
# other table (signups, subdomains, stripe_events, provisioning, mail_log, login_tokens,
# tenant_events, alembic_version) is refused to it: sign-in, onboarding, invitations, webhooks,
# workers and staff run unconfined. (A copy, not an import: a migration must not change when
# the code does. tests/db/test_row_level_security.py pins the same list.)
TABLE_GRANTS = {
    "tenants": "SELECT",  # its own row only (RLS), plus the columns below
    "users": "SELECT, UPDATE, DELETE",  # the team: change a role, remove a member
    "invites": "SELECT, INSERT, DELETE",  # invite, revoke (the mail is sent by a job)
    "api_keys": "SELECT, INSERT, UPDATE",  # create; revoking is an update
    "pages": "SELECT, INSERT, UPDATE, DELETE",
    "posts": "SELECT, INSERT, UPDATE, DELETE",
    "products": "SELECT, INSERT, UPDATE, DELETE",
    "media_files": "SELECT, INSERT, UPDATE, DELETE",
    "invoices": "SELECT",  # the billing page, through the tenant's Stripe customer (RLS)
    "subscriptions": "SELECT",  # the dashboard and billing page, likewise
}
# The tenant may set its custom domain; its plan and billing state are written by the billing
# rules only. (Locking its row for a limit check needs UPDATE on one column: this one.)
COLUMN_GRANTS = {"tenants": "UPDATE (custom_domain, updated_at)"}
SEQUENCES = ("invites_id_seq", "api_keys_id_seq", "pages_id_seq", "posts_id_seq",
             "products_id_seq", "media_files_id_seq")

# Tables with a tenant_id that 0002 left without row-level security.
NEW_TENANT_TABLES = ("mail_log", "provisioning_runs")
# Tables keyed by the Stripe customer: a tenant sees the rows of its own customer.
CUSTOMER_TABLES = ("invoices", "subscriptions")

# The policies, in the shape of 0002's: roles other than contyzr_tenant are not confined.
OWN_TENANT = ("current_user <> 'contyzr_tenant' "
              "OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int")
OWN_CUSTOMER = ("current_user <> 'contyzr_tenant' OR customer_id = "
                "(SELECT stripe_customer_id FROM tenants "
                "WHERE id = NULLIF(current_setting('app.tenant_id', true), '')::int)")


def upgrade() -> None:
    op.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM contyzr_tenant")
    op.execute("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM contyzr_tenant")
    # Tables created by later migrations start with nothing for the tenant role.
    op.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA public "
               "REVOKE ALL ON TABLES FROM contyzr_tenant")
    op.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA public "
               "REVOKE ALL ON SEQUENCES FROM contyzr_tenant")
    for table, privileges in TABLE_GRANTS.items():
        op.execute(f"GRANT {privileges} ON {table} TO contyzr_tenant")
    for table, privileges in COLUMN_GRANTS.items():
        op.execute(f"GRANT {privileges} ON {table} TO contyzr_tenant")
    for sequence in SEQUENCES:
        op.execute(f"GRANT USAGE ON SEQUENCE {sequence} TO contyzr_tenant")

    for table, rule in ([(t, OWN_TENANT) for t in NEW_TENANT_TABLES]
                        + [(t, OWN_CUSTOMER) for t in CUSTOMER_TABLES]):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({rule}) WITH CHECK ({rule})")


def downgrade() -> None:
    for table in (*NEW_TENANT_TABLES, *CUSTOMER_TABLES):
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    # Back to 0002's grants: everything.
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO contyzr_tenant")
    op.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO contyzr_tenant")
    op.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA public "
               "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO contyzr_tenant")
    op.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA public "
               "GRANT USAGE, SELECT ON SEQUENCES TO contyzr_tenant")
