"""plan changes and cancellation: a downgrade scheduled for the end of the period, the
retention offer taken once, and the reason a subscription was cancelled

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('tenants', sa.Column('scheduled_plan_id', sa.String(length=40), nullable=True))
    op.add_column('tenants', sa.Column('scheduled_interval', sa.String(length=8), nullable=True))
    op.add_column('tenants', sa.Column('scheduled_change_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('tenants', sa.Column('retention_offer_used_at', sa.DateTime(timezone=True),
                                       nullable=True))
    op.add_column('subscriptions', sa.Column('cancellation_feedback', sa.String(length=40), nullable=True))
    op.add_column('subscriptions', sa.Column('cancellation_comment', sa.String(length=500), nullable=True))
    op.add_column('subscriptions', sa.Column('discount_coupon', sa.String(length=80), nullable=True))


def downgrade() -> None:
    for column in ('discount_coupon', 'cancellation_comment', 'cancellation_feedback'):
        op.drop_column('subscriptions', column)
    for column in ('retention_offer_used_at', 'scheduled_change_at', 'scheduled_interval',
                   'scheduled_plan_id'):
        op.drop_column('tenants', column)
