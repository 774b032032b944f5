"""contact_submissions: messages sent through a tenant site's contact form, read in the portal

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The portal's inbox reads, marks handled and deletes; the public site inserts unconfined.
OWN_TENANT = ("current_user <> 'contyzr_tenant' "
              "OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int")


def upgrade() -> None:
    op.create_table('contact_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('page_slug', sa.String(length=80), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_contact_submissions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_submissions'))
    )
    op.create_index('ix_contact_submissions_tenant_id', 'contact_submissions', ['tenant_id'], unique=False)
    op.execute("GRANT SELECT, UPDATE, DELETE ON contact_submissions TO contyzr_tenant")
    op.execute("ALTER TABLE contact_submissions ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE contact_submissions FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON contact_submissions "
               f"USING ({OWN_TENANT}) WITH CHECK ({OWN_TENANT})")


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS tenant_isolation ON contact_submissions")
    op.drop_index('ix_contact_submissions_tenant_id', table_name='contact_submissions')
    op.drop_table('contact_submissions')
