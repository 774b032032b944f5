"""monitoring: each live tenant site's health and its next check, its checks of the last two
days, its uptime per hour kept per day, and the incidents of the alert rules; a tenant reads
its own site's health and uptime (row level security), never the incidents

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

OWN_TENANT = ("current_user <> 'contyzr_tenant' "
              "OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int")
TENANT_READS = ("site_health", "site_checks", "site_uptime_days")
STATUSES = "'healthy', 'warning', 'critical', 'unknown'"


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE',
                                   name=op.f(f'fk_{table}_tenant_id_tenants'))


def upgrade() -> None:
    op.create_table(
        'site_health',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('status_since', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('next_check_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('response_ms', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=200), nullable=True),
        sa.Column('failures_in_a_row', sa.Integer(), nullable=False),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f('ck_site_health_status')),
        _tenant_fk('site_health'),
        sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_site_health')),
    )
    op.create_index('ix_site_health_next_check_at', 'site_health', ['next_check_at'])
    op.create_table(
        'site_checks',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('response_ms', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=200), nullable=True),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f('ck_site_checks_status')),
        _tenant_fk('site_checks'),
        sa.PrimaryKeyConstraint('tenant_id', 'checked_at', name=op.f('pk_site_checks')),
    )
    op.create_index('ix_site_checks_checked_at', 'site_checks', ['checked_at'])
    op.create_table(
        'site_uptime_days',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('checks', postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column('up', postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column('response_ms', postgresql.ARRAY(sa.Integer()), nullable=False),
        _tenant_fk('site_uptime_days'),
        sa.PrimaryKeyConstraint('tenant_id', 'day', name=op.f('pk_site_uptime_days')),
    )
    op.create_table(
        'incidents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule', sa.String(length=40), nullable=False),
        sa.Column('subject', sa.String(length=120), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('summary', sa.String(length=300), nullable=False),
        sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('opened_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('opened_mailed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolved_mailed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('opened_posted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolved_posted_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    )
    op.create_index('uq_incidents_open', 'incidents', ['rule', 'subject'], unique=True,
                    postgresql_where=sa.text('resolved_at IS NULL'))
    op.create_index('ix_incidents_opened_at', 'incidents', ['opened_at'])
    for table in TENANT_READS:
        op.execute(f"GRANT SELECT ON {table} TO contyzr_tenant")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} "
                   f"USING ({OWN_TENANT}) WITH CHECK ({OWN_TENANT})")


def downgrade() -> None:
    for table in TENANT_READS:
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.drop_table('incidents')
    op.drop_table('site_uptime_days')
    op.drop_table('site_checks')
    op.drop_table('site_health')
