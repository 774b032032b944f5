"""States are types: a CHECK constraint keeps every state column to its enum's values

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# (table, column, allowed values): the StrEnums beside the models (db/models/*.py), spelled out
# here because a migration must not change when the code does.
CHECKS = (
    ('tenants', 'status', ('provisioning', 'active')),
    ('tenants', 'billing_state', ('active', 'past_due', 'suspended', 'closed', 'deleted')),
    ('users', 'role', ('owner', 'admin', 'editor')),
    ('invites', 'role', ('owner', 'admin', 'editor')),
    ('signups', 'status', ('pending', 'paid', 'ready', 'expired')),
    ('provisioning_runs', 'status', ('queued', 'running', 'succeeded', 'failed')),
    ('provisioning_steps', 'outcome', ('running', 'done', 'failed')),
    ('mail_log', 'status', ('pending', 'sent', 'failed')),
)


def upgrade() -> None:
    for table, column, values in CHECKS:
        allowed = ", ".join(f"'{value}'" for value in values)
        op.create_check_constraint(op.f(f'ck_{table}_{column}'), table, f'{column} IN ({allowed})')


def downgrade() -> None:
    for table, column, _ in reversed(CHECKS):
        op.drop_constraint(op.f(f'ck_{table}_{column}'), table, type_='check')
