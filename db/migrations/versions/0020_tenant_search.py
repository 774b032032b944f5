"""tenant search: indexes for the back office's tenant list (staff/tenant_search.py)

Prefix matching, case-insensitive, on company, subdomain, a member's email (and the part after
its @) and a custom domain: btree indexes on lower(...) in text_pattern_ops, which serve
``LIKE 'abc%'`` under any collation. (The embedded PostgreSQL has no pg_trgm, so no trigram
indexes for '%abc%'.) Newest/oldest first and company A-Z page through an index each; the
health filter finds failed provisioning runs and troubled domains by their tenant.

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

PREFIX = [  # (index, table, expression)
    ('ix_tenants_company_prefix', 'tenants', 'lower(company) text_pattern_ops'),
    ('ix_tenants_subdomain_prefix', 'tenants', 'lower(subdomain) text_pattern_ops'),
    ('ix_users_email_prefix', 'users', 'lower(email) text_pattern_ops'),
    ('ix_users_email_domain_prefix', 'users', "split_part(lower(email), '@', 2) text_pattern_ops"),
    ('ix_custom_domains_name_prefix', 'custom_domains', 'lower(name) text_pattern_ops'),
]


def upgrade() -> None:
    for name, table, expression in PREFIX:
        op.create_index(name, table, [sa.text(expression)])
    op.create_index('ix_tenants_created_at', 'tenants', ['created_at', 'id'])
    op.create_index('ix_tenants_company_order', 'tenants', [sa.text('lower(company)'), 'id'])
    op.create_index('ix_provisioning_runs_failed', 'provisioning_runs', ['tenant_id'],
                    postgresql_where=sa.text("status = 'failed'"))
    op.create_index('ix_custom_domains_trouble', 'custom_domains', ['tenant_id'],
                    postgresql_where=sa.text("status IN ('lost', 'misconfigured')"))


def downgrade() -> None:
    op.drop_index('ix_custom_domains_trouble', table_name='custom_domains')
    op.drop_index('ix_provisioning_runs_failed', table_name='provisioning_runs')
    op.drop_index('ix_tenants_company_order', table_name='tenants')
    op.drop_index('ix_tenants_created_at', table_name='tenants')
    for name, table, _expression in reversed(PREFIX):
        op.drop_index(name, table_name=table)
