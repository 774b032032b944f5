"""tenants.site_version: the public site's content version, the key of its page cache
(web/public_site/page_cache.py). Triggers move it in the same transaction as every change a
visitor can see: a row of pages, posts, products, their translations, media_files,
custom_domains or shops written or deleted, or a visible column of the tenant itself changed.

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

# Tables whose rows a visitor of the tenant's site can see (a copy, not an import: a migration
# must not change when the code does; tests/web/test_site_cache.py checks each kind of change).
VISIBLE_TABLES = ("pages", "posts", "products", "page_translations", "post_translations",
                  "product_translations", "media_files", "custom_domains", "shops")
# Columns of tenants no visitor sees: writing only these leaves the version alone. Any other
# column (company, template, plan, billing state, settings, languages, new ones) moves it.
INVISIBLE_COLUMNS = ("site_version", "updated_at", "signup_id", "stripe_customer_id",
                     "stripe_subscription_id", "scheduled_plan_id", "scheduled_interval",
                     "scheduled_change_at", "retention_offer_used_at")


def upgrade() -> None:
    op.add_column('tenants', sa.Column('site_version', sa.BigInteger(), server_default='1',
                                       nullable=False))
    # One bump per statement and tenant (transition tables), whatever the number of rows.
    # SECURITY DEFINER: the tenant role (portal, API) writes content but may not update the
    # column; the function runs as its owner, whom the tenants policy does not confine.
    op.execute("""
        CREATE FUNCTION bump_site_version() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE tenants SET site_version = site_version + 1
                 WHERE id IN (SELECT tenant_id FROM new_rows);
            ELSIF TG_OP = 'DELETE' THEN
                UPDATE tenants SET site_version = site_version + 1
                 WHERE id IN (SELECT tenant_id FROM old_rows);
            ELSE
                UPDATE tenants SET site_version = site_version + 1
                 WHERE id IN (SELECT tenant_id FROM new_rows
                              UNION SELECT tenant_id FROM old_rows);
            END IF;
            RETURN NULL;
        END $$
    """)
    op.execute("REVOKE ALL ON FUNCTION bump_site_version() FROM PUBLIC")
    for table in VISIBLE_TABLES:
        op.execute(f"CREATE TRIGGER {table}_site_version_insert AFTER INSERT ON {table} "
                   "REFERENCING NEW TABLE AS new_rows "
                   "FOR EACH STATEMENT EXECUTE FUNCTION bump_site_version()")
        op.execute(f"CREATE TRIGGER {table}_site_version_update AFTER UPDATE ON {table} "
                   "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
                   "FOR EACH STATEMENT EXECUTE FUNCTION bump_site_version()")
        op.execute(f"CREATE TRIGGER {table}_site_version_delete AFTER DELETE ON {table} "
                   "REFERENCING OLD TABLE AS old_rows "
                   "FOR EACH STATEMENT EXECUTE FUNCTION bump_site_version()")
    # The tenant's own row: bumped in place before the write (no second update, no recursion;
    # the bump above changes only site_version, which the WHEN clause leaves out).
    op.execute("""
        CREATE FUNCTION bump_own_site_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.site_version := OLD.site_version + 1;
            RETURN NEW;
        END $$
    """)
    invisible = ", ".join(f"'{column}'" for column in INVISIBLE_COLUMNS)
    op.execute(f"""
        CREATE TRIGGER tenants_site_version BEFORE UPDATE ON tenants FOR EACH ROW
        WHEN ((to_jsonb(OLD) - ARRAY[{invisible}]) IS DISTINCT FROM
              (to_jsonb(NEW) - ARRAY[{invisible}]))
        EXECUTE FUNCTION bump_own_site_version()
    """)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS tenants_site_version ON tenants")
    op.execute("DROP FUNCTION IF EXISTS bump_own_site_version()")
    for table in VISIBLE_TABLES:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_site_version_{event} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS bump_site_version()")
    op.drop_column('tenants', 'site_version')
