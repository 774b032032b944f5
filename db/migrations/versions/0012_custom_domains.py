"""custom_domains: a tenant's own domains with their verification state, replacing
tenants.custom_domain (a claimed name is no longer reserved until it is proven by DNS)

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

OWN_TENANT = ("current_user <> 'contyzr_tenant' "
              "OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int")
STATUSES = "status IN ('pending', 'verified', 'misconfigured', 'lost')"


def upgrade() -> None:
    op.create_table('custom_domains',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=253), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('detail', sa.String(length=1000), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lost_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_check_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('checks_often_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_checks', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint(STATUSES, name=op.f('ck_custom_domains_status')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_custom_domains_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_domains')),
    sa.UniqueConstraint('tenant_id', 'name', name=op.f('uq_custom_domains_tenant_id'))
    )
    op.create_index('ix_custom_domains_next_check_at', 'custom_domains', ['next_check_at'], unique=False)
    op.create_index('ix_custom_domains_tenant_id', 'custom_domains', ['tenant_id'], unique=False)
    op.create_index('uq_custom_domains_verified_name', 'custom_domains', ['name'], unique=True,
                    postgresql_where=sa.text("status = 'verified'"))
    # What the portal may do with its own domains: add, remove, choose the primary one, ask for
    # a check now. Their state is the verifier's alone (it runs unconfined).
    op.execute("GRANT SELECT, INSERT, DELETE ON custom_domains TO contyzr_tenant")
    op.execute("GRANT UPDATE (is_primary, next_check_at, checks_often_until) "
               "ON custom_domains TO contyzr_tenant")
    op.execute("GRANT USAGE ON SEQUENCE custom_domains_id_seq TO contyzr_tenant")
    op.execute("ALTER TABLE custom_domains ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE custom_domains FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON custom_domains "
               f"USING ({OWN_TENANT}) WITH CHECK ({OWN_TENANT})")
    # A tenant's new row is a claim to be proven, never a verified domain (its other columns
    # mean nothing until the verifier sets the status).
    op.execute("CREATE POLICY claims_start_pending ON custom_domains AS RESTRICTIVE FOR INSERT "
               "TO contyzr_tenant WITH CHECK (status = 'pending')")
    # A claimed domain becomes a pending claim, checked at once.
    op.execute("INSERT INTO custom_domains (tenant_id, name, status, is_primary, failed_checks) "
               "SELECT id, custom_domain, 'pending', false, 0 FROM tenants "
               "WHERE custom_domain IS NOT NULL")
    op.execute("REVOKE UPDATE (custom_domain) ON tenants FROM contyzr_tenant")
    op.drop_constraint(op.f('uq_tenants_custom_domain'), 'tenants', type_='unique')
    op.drop_column('tenants', 'custom_domain')


def downgrade() -> None:
    op.add_column('tenants', sa.Column('custom_domain', sa.String(length=253), nullable=True))
    op.create_unique_constraint(op.f('uq_tenants_custom_domain'), 'tenants', ['custom_domain'])
    op.execute("GRANT UPDATE (custom_domain) ON tenants TO contyzr_tenant")
    op.execute("UPDATE tenants SET custom_domain = d.name FROM custom_domains d "
               "WHERE d.tenant_id = tenants.id AND d.status = 'verified'")
    op.execute("DROP POLICY IF EXISTS claims_start_pending ON custom_domains")
    op.execute("DROP POLICY IF EXISTS tenant_isolation ON custom_domains")
    op.drop_index('uq_custom_domains_verified_name', table_name='custom_domains')
    op.drop_index('ix_custom_domains_tenant_id', table_name='custom_domains')
    op.drop_index('ix_custom_domains_next_check_at', table_name='custom_domains')
    op.drop_table('custom_domains')
