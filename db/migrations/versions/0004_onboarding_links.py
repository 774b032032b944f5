"""onboarding links: short-lived, single-use, bound to the browser that paid; signup reservations expire

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The onboarding token leaves the URL: the page is addressed by the signup's id and its one
    # sign-in is bound to a cookie of the browser that sent the form (its hash is kept here).
    op.drop_constraint('uq_signups_onboarding_token_hash', 'signups', type_='unique')
    op.drop_column('signups', 'onboarding_token_hash')
    op.add_column('signups', sa.Column('browser_key_hash', sa.String(length=64), nullable=True))
    op.add_column('signups', sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_signups_expires_at'), 'signups', ['expires_at'], unique=False)
    # Reservations made before this revision keep the 24 hours they were given.
    op.execute("UPDATE signups SET expires_at = created_at + interval '24 hours' "
               "WHERE status = 'pending'")


def downgrade() -> None:
    op.drop_index(op.f('ix_signups_expires_at'), table_name='signups')
    op.drop_column('signups', 'expires_at')
    op.drop_column('signups', 'browser_key_hash')
    op.add_column('signups', sa.Column('onboarding_token_hash', sa.String(length=64), nullable=True))
    # Old links cannot come back: every signup gets a hash nobody holds a token for.
    op.execute("UPDATE signups SET onboarding_token_hash = "
               "encode(sha256(convert_to(gen_random_uuid()::text || id, 'UTF8')), 'hex')")
    op.alter_column('signups', 'onboarding_token_hash', nullable=False)
    op.create_unique_constraint('uq_signups_onboarding_token_hash', 'signups',
                                ['onboarding_token_hash'])
