"""assistant requests: each request to the AI writing assistant, counted against the plan's
``ai_requests`` a month, with the tokens the provider reported; a tenant reads and writes its
own (row level security)

Revision ID: 0026
Revises: 0025
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

OWN_TENANT = ("current_user <> 'contyzr_tenant' "
              "OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int")


def upgrade() -> None:
    op.create_table(
        'assistant_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('model', sa.String(length=100), nullable=False),
        sa.Column('prompt_tokens', sa.Integer(), nullable=False),
        sa.Column('completion_tokens', sa.Integer(), nullable=False),
        sa.Column('error', sa.String(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("action IN ('draft', 'rewrite', 'meta', 'translate')",
                           name=op.f('ck_assistant_requests_action')),
        sa.CheckConstraint("status IN ('pending', 'done', 'failed')",
                           name=op.f('ck_assistant_requests_status')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE',
                                name=op.f('fk_assistant_requests_tenant_id_tenants')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_assistant_requests_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_assistant_requests')),
    )
    op.create_index('ix_assistant_requests_tenant_month', 'assistant_requests',
                    ['tenant_id', 'created_at'])
    op.execute("GRANT SELECT, INSERT, UPDATE ON assistant_requests TO contyzr_tenant")
    op.execute("GRANT USAGE ON SEQUENCE assistant_requests_id_seq TO contyzr_tenant")
    op.execute("ALTER TABLE assistant_requests ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE assistant_requests FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY tenant_isolation ON assistant_requests "
               f"USING ({OWN_TENANT}) WITH CHECK ({OWN_TENANT})")


def downgrade() -> None:
    op.drop_table('assistant_requests')
