"""Stripe events: attempts counted across sweeps with backoff; provisioning failures surfaced

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Stripe documents object ids of up to 255 characters; intake accepts evt_ ids that long.
    op.alter_column('stripe_events', 'id', existing_type=sa.String(length=80),
                    type_=sa.String(length=255), existing_nullable=False)
    op.add_column('stripe_events',
                  sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('stripe_events', 'next_attempt_at')
    op.alter_column('stripe_events', 'id', existing_type=sa.String(length=255),
                    type_=sa.String(length=80), existing_nullable=False)
