"""VAT and payment methods: each invoice's tax, totals and customer details as Stripe issued
them; the payment method a subscription is charged with; a signup whose payment is processing

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('invoices', sa.Column('number', sa.String(length=64), nullable=True))
    op.add_column('invoices', sa.Column('total', sa.BigInteger(), nullable=True))
    op.add_column('invoices', sa.Column('total_excluding_tax', sa.BigInteger(), nullable=True))
    op.add_column('invoices', sa.Column('tax', sa.BigInteger(), server_default='0', nullable=False))
    op.add_column('invoices', sa.Column('tax_percent', sa.Numeric(5, 2), nullable=True))
    op.add_column('invoices', sa.Column('taxability_reason', sa.String(length=40), nullable=True))
    op.add_column('invoices', sa.Column('customer_name', sa.String(length=255), nullable=True))
    op.add_column('invoices', sa.Column('customer_address', postgresql.JSONB(), nullable=True))
    op.add_column('invoices', sa.Column('customer_tax_ids', postgresql.JSONB(),
                                        server_default='[]', nullable=False))
    op.add_column('invoices', sa.Column('action_required', sa.Boolean(), server_default='false',
                                        nullable=False))
    op.add_column('subscriptions', sa.Column('payment_method_type', sa.String(length=32), nullable=True))
    op.add_column('subscriptions', sa.Column('payment_method_brand', sa.String(length=32), nullable=True))
    op.add_column('subscriptions', sa.Column('payment_method_last4', sa.String(length=4), nullable=True))
    op.add_column('signups', sa.Column('payment_pending_since', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('signups', 'payment_pending_since')
    for column in ('payment_method_last4', 'payment_method_brand', 'payment_method_type'):
        op.drop_column('subscriptions', column)
    for column in ('action_required', 'customer_tax_ids', 'customer_address', 'customer_name',
                   'taxability_reason', 'tax_percent', 'tax', 'total_excluding_tax', 'total',
                   'number'):
        op.drop_column('invoices', column)
