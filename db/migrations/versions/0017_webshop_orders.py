"""webshop orders: the tenant's connected Stripe account and shipping (shops), orders with their
items and history, each product's VAT rate, and the Connect account of a stored event

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

OWN_TENANT = ("current_user <> 'contyzr_tenant' "
              "OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int")
# The portal connects the account, sets the shipping, and ships, cancels and refunds orders
# (with a history entry); orders are made by the public site and the Connect events, unconfined.
GRANTS = {
    "shops": "SELECT, INSERT, UPDATE",
    "orders": "SELECT",
    "order_items": "SELECT",
    "order_events": "SELECT, INSERT",
}
COLUMN_GRANTS = {"orders": "UPDATE (status, tracking_url, shipped_at, closed_at, "
                           "refunded_cents, updated_at)"}
STATUSES = "'open', 'paid', 'shipped', 'canceled', 'refunded', 'expired'"


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE',
                                   name=op.f(f'fk_{table}_tenant_id_tenants'))


def upgrade() -> None:
    op.add_column('products', sa.Column('vat_rate', sa.Integer(), server_default='21',
                                        nullable=False))
    op.create_check_constraint('vat_rate', 'products', 'vat_rate IN (0, 9, 21)')
    op.add_column('stripe_events', sa.Column('account', sa.String(length=64), nullable=True))
    op.create_table(
        'shops',
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('stripe_account_id', sa.String(length=64), nullable=True),
        sa.Column('charges_enabled', sa.Boolean(), nullable=False),
        sa.Column('payouts_enabled', sa.Boolean(), nullable=False),
        sa.Column('details_submitted', sa.Boolean(), nullable=False),
        sa.Column('requirements_due', postgresql.JSONB(), server_default='[]', nullable=False),
        sa.Column('connected_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('disconnected_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('flat_rate_cents', sa.Integer(), nullable=True),
        sa.Column('free_above_cents', sa.Integer(), nullable=True),
        sa.Column('pickup', sa.Boolean(), nullable=False),
        sa.Column('pickup_address', sa.String(length=300), nullable=False),
        sa.Column('ship_countries', postgresql.JSONB(), server_default='["NL", "BE"]',
                  nullable=False),
        sa.Column('tax_rates', postgresql.JSONB(), server_default='{}', nullable=False),
        sa.Column('last_order_number', sa.Integer(), server_default='1000', nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        _tenant_fk('shops'),
        sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_shops')),
        sa.UniqueConstraint('stripe_account_id', name=op.f('uq_shops_stripe_account_id')),
    )
    op.create_table(
        'orders',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('stripe_account_id', sa.String(length=64), nullable=False),
        sa.Column('checkout_session_id', sa.String(length=255), nullable=True),
        sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('customer_name', sa.String(length=200), nullable=True),
        sa.Column('shipping_address', postgresql.JSONB(), nullable=True),
        sa.Column('shipping_method', sa.String(length=16), nullable=False),
        sa.Column('currency', sa.String(length=8), nullable=False),
        sa.Column('subtotal_cents', sa.BigInteger(), nullable=False),
        sa.Column('shipping_cents', sa.BigInteger(), nullable=False),
        sa.Column('tax_cents', sa.BigInteger(), nullable=False),
        sa.Column('total_cents', sa.BigInteger(), nullable=False),
        sa.Column('fee_cents', sa.BigInteger(), nullable=False),
        sa.Column('refunded_cents', sa.BigInteger(), nullable=False),
        sa.Column('tracking_url', sa.String(length=500), nullable=True),
        sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.CheckConstraint(f'status IN ({STATUSES})', name=op.f('ck_orders_status')),
        _tenant_fk('orders'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
        sa.UniqueConstraint('checkout_session_id', name=op.f('uq_orders_checkout_session_id')),
        sa.UniqueConstraint('tenant_id', 'number', name=op.f('uq_orders_tenant_id')),
    )
    op.create_index('ix_orders_tenant_id_status', 'orders', ['tenant_id', 'status'])
    op.create_table(
        'order_items',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('unit_cents', sa.BigInteger(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('vat_rate', sa.Integer(), nullable=False),
        _tenant_fk('order_items'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE',
                                name=op.f('fk_order_items_order_id_orders')),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='SET NULL',
                                name=op.f('fk_order_items_product_id_products')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_order_items')),
    )
    op.create_index('ix_order_items_order_id', 'order_items', ['order_id'])
    op.create_table(
        'order_events',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.BigInteger(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('actor', sa.String(length=254), nullable=False),
        sa.Column('details', postgresql.JSONB(), server_default='{}', nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        _tenant_fk('order_events'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE',
                                name=op.f('fk_order_events_order_id_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_order_events')),
    )
    op.create_index('ix_order_events_order_id', 'order_events', ['order_id'])
    for table, privileges in GRANTS.items():
        op.execute(f"GRANT {privileges} ON {table} TO contyzr_tenant")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} "
                   f"USING ({OWN_TENANT}) WITH CHECK ({OWN_TENANT})")
    for table, privileges in COLUMN_GRANTS.items():
        op.execute(f"GRANT {privileges} ON {table} TO contyzr_tenant")
    op.execute("GRANT USAGE ON SEQUENCE order_events_id_seq TO contyzr_tenant")


def downgrade() -> None:
    for table in reversed(GRANTS):
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.drop_table('order_events')
    op.drop_table('order_items')
    op.drop_table('orders')
    op.drop_table('shops')
    op.drop_column('stripe_events', 'account')
    op.drop_constraint('ck_products_vat_rate', 'products')
    op.drop_column('products', 'vat_rate')
