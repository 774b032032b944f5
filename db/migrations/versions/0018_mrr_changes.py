"""mrr_changes: the append-only ledger of each subscription's monthly recurring revenue, for
the back office's revenue figures over time (the subscription mirror keeps only the present)

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# A copy of the enums in db/models/revenue.py, as a migration must not change when the code does.
STATES = "'trialing', 'active', 'past_due', 'canceled'"
KINDS = "'new', 'expansion', 'contraction', 'churn', 'reactivation', 'none'"
# Like every table with a tenant_id: row-level security, although the tenant role gets no
# grant on this one at all (revenue is the agency's business, not the tenant's).
OWN_TENANT = ("current_user <> 'contyzr_tenant' "
              "OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int")


def upgrade() -> None:
    op.create_table(
        'mrr_changes',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('subscription_id', sa.String(length=64), nullable=False),
        sa.Column('customer_id', sa.String(length=64), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('plan_id', sa.String(length=40), nullable=True),
        sa.Column('interval', sa.String(length=8), nullable=True),
        sa.Column('mrr_cents', sa.BigInteger(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('previous_mrr_cents', sa.BigInteger(), nullable=False),
        sa.Column('previous_state', sa.String(length=16), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.CheckConstraint(f'state IN ({STATES})', name=op.f('ck_mrr_changes_state')),
        sa.CheckConstraint(f'previous_state IN ({STATES})',
                           name=op.f('ck_mrr_changes_previous_state')),
        sa.CheckConstraint(f'kind IN ({KINDS})', name=op.f('ck_mrr_changes_kind')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='SET NULL',
                                name=op.f('fk_mrr_changes_tenant_id_tenants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mrr_changes')),
    )
    op.create_index('ix_mrr_changes_subscription_id_at', 'mrr_changes', ['subscription_id', 'at'])
    op.create_index('ix_mrr_changes_customer_id', 'mrr_changes', ['customer_id'])
    op.create_index('ix_mrr_changes_tenant_id', 'mrr_changes', ['tenant_id'])
    op.create_index('ix_mrr_changes_at', 'mrr_changes', ['at'])
    op.execute("ALTER TABLE mrr_changes ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE mrr_changes FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON mrr_changes "
               f"USING ({OWN_TENANT}) WITH CHECK ({OWN_TENANT})")


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS tenant_isolation ON mrr_changes")
    op.drop_index('ix_mrr_changes_at', table_name='mrr_changes')
    op.drop_index('ix_mrr_changes_tenant_id', table_name='mrr_changes')
    op.drop_index('ix_mrr_changes_customer_id', table_name='mrr_changes')
    op.drop_index('ix_mrr_changes_subscription_id_at', table_name='mrr_changes')
    op.drop_table('mrr_changes')
