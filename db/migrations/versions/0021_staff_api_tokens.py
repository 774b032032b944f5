"""staff API tokens: a staff member's bearer tokens for the platform API (/api/platform),
stored as hashes and found by a public prefix; the tenant role gets no grant on them (0005's
default privileges give a new table nothing)

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staff_api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'],
                                name=op.f('fk_staff_api_tokens_staff_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_api_tokens')),
        sa.UniqueConstraint('prefix', name=op.f('uq_staff_api_tokens_prefix')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_staff_api_tokens_token_hash')),
    )
    op.create_index('ix_staff_api_tokens_staff_id', 'staff_api_tokens', ['staff_id'])
    # Belt and braces: whatever the default privileges, the tenant role never sees a token.
    op.execute("REVOKE ALL ON staff_api_tokens FROM contyzr_tenant")
    op.execute("REVOKE ALL ON SEQUENCE staff_api_tokens_id_seq FROM contyzr_tenant")


def downgrade() -> None:
    op.drop_index('ix_staff_api_tokens_staff_id', table_name='staff_api_tokens')
    op.drop_table('staff_api_tokens')
