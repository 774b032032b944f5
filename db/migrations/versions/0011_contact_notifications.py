"""members choose whether the contact form's messages are mailed to them: owners start
opted in, everyone else opted out

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('users', sa.Column('contact_notifications', sa.Boolean(),
                                     server_default=sa.false(), nullable=False))
    # Until now the owner got every message: they keep getting them.
    op.execute("UPDATE users SET contact_notifications = true WHERE role = 'owner'")


def downgrade() -> None:
    op.drop_column('users', 'contact_notifications')
