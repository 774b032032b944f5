"""tenants.status is renamed provisioning_state: it says whether the tenant is set up yet, not
what it may do (that is billing_state), and its 'active' was easy to confuse with billing's

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint(op.f('ck_tenants_status'), 'tenants', type_='check')
    op.alter_column('tenants', 'status', new_column_name='provisioning_state')
    op.create_check_constraint(op.f('ck_tenants_provisioning_state'), 'tenants',
                               "provisioning_state IN ('provisioning', 'active')")


def downgrade() -> None:
    op.drop_constraint(op.f('ck_tenants_provisioning_state'), 'tenants', type_='check')
    op.alter_column('tenants', 'provisioning_state', new_column_name='status')
    op.create_check_constraint(op.f('ck_tenants_status'), 'tenants',
                               "status IN ('provisioning', 'active')")
