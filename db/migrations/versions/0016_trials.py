"""trials: a signup that starts with a free trial, the trial's end on the subscription, and
the trials given (one per email address and per card)

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('signups', sa.Column('trial', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('subscriptions', sa.Column('trial_end', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'trial_claims',
        sa.Column('email', sa.String(length=254), primary_key=True),
        sa.Column('card_fingerprint', sa.String(length=64), nullable=True, index=True),
        sa.Column('signup_id', sa.String(length=36), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
    )


def downgrade() -> None:
    op.drop_table('trial_claims')
    op.drop_column('subscriptions', 'trial_end')
    op.drop_column('signups', 'trial')
