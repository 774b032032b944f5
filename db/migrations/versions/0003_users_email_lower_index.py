"""index users on lower(email): sign-in, signup and invitations look addresses up that way

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_users_email_lower', 'users', [sa.text('lower(email)')], unique=False)


def downgrade() -> None:
    op.drop_index('ix_users_email_lower', table_name='users')
