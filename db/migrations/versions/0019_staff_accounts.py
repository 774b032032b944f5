"""staff accounts: the agency's people, apart from tenants' users, with a TOTP second factor,
and their audit log, which the database keeps from being changed or deleted

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staff_users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('totp_secret', sa.String(length=64), nullable=True),
        sa.Column('totp_confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_totp_step', sa.BigInteger(), nullable=False),
        sa.Column('recovery_code_hashes', postgresql.JSONB(), server_default='[]', nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('last_sign_in_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint("role IN ('admin', 'support', 'finance')",
                           name=op.f('ck_staff_users_role')),
        sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'],
                                name=op.f('fk_staff_users_created_by_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    )
    op.create_index('ix_staff_users_email_lower', 'staff_users', [sa.text('lower(email)')],
                    unique=True)
    op.create_table(
        'staff_audit',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('staff_email', sa.String(length=254), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('details', postgresql.JSONB(), server_default='{}', nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'],
                                name=op.f('fk_staff_audit_staff_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_audit')),
    )
    op.create_index('ix_staff_audit_tenant_id', 'staff_audit', ['tenant_id'])
    op.create_index('ix_staff_audit_at', 'staff_audit', ['at'])
    # Written once: no one edits or removes an entry, not even the app's own role.
    op.execute("""
        CREATE FUNCTION staff_audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the staff audit log is append-only';
        END $$""")
    op.execute("CREATE TRIGGER staff_audit_append_only BEFORE UPDATE OR DELETE ON staff_audit "
               "FOR EACH ROW EXECUTE FUNCTION staff_audit_is_append_only()")
    op.execute("CREATE TRIGGER staff_audit_no_truncate BEFORE TRUNCATE ON staff_audit "
               "FOR EACH STATEMENT EXECUTE FUNCTION staff_audit_is_append_only()")


def downgrade() -> None:
    op.drop_table('staff_audit')
    op.execute("DROP FUNCTION IF EXISTS staff_audit_is_append_only()")
    op.drop_index('ix_staff_users_email_lower', table_name='staff_users')
    op.drop_table('staff_users')
