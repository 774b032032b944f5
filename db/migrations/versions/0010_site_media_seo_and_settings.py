"""what a customer's site needs beyond text: image sizes of uploads, per-page and per-post
search and sharing fields, a post's cover image, untracked stock, and the tenant's time zone
and look (editable by the portal's own database role)

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

CONTENT_TABLES = ("pages", "posts")


def _image_column(table: str, column: str) -> None:
    op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
    op.create_foreign_key(op.f(f'fk_{table}_{column}_media_files'), table, 'media_files',
                          [column], ['id'], ondelete='SET NULL')


def upgrade() -> None:
    op.add_column('media_files', sa.Column('width', sa.Integer(), nullable=True))
    op.add_column('media_files', sa.Column('height', sa.Integer(), nullable=True))
    op.add_column('media_files', sa.Column(
        'variants', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False))
    for table in CONTENT_TABLES:
        op.add_column(table, sa.Column('seo_title', sa.String(length=120), nullable=True))
        op.add_column(table, sa.Column('seo_description', sa.String(length=300), nullable=True))
        _image_column(table, 'social_image_id')
    _image_column('posts', 'cover_image_id')
    # NULL: stock is not tracked (always orderable); a number: that many left.
    op.alter_column('products', 'stock', existing_type=sa.Integer(), nullable=True)
    op.add_column('tenants', sa.Column('time_zone', sa.String(length=64),
                                       server_default='Europe/Amsterdam', nullable=False))
    # The portal's theme and settings pages write these with the tenant's own role.
    op.execute("GRANT UPDATE (site_settings, time_zone) ON tenants TO contyzr_tenant")


def downgrade() -> None:
    op.execute("REVOKE UPDATE (site_settings, time_zone) ON tenants FROM contyzr_tenant")
    op.drop_column('tenants', 'time_zone')
    op.execute("UPDATE products SET stock = 0 WHERE stock IS NULL")
    op.alter_column('products', 'stock', existing_type=sa.Integer(), nullable=False)
    op.drop_constraint(op.f('fk_posts_cover_image_id_media_files'), 'posts', type_='foreignkey')
    op.drop_column('posts', 'cover_image_id')
    for table in CONTENT_TABLES:
        op.drop_constraint(op.f(f'fk_{table}_social_image_id_media_files'), table,
                           type_='foreignkey')
        op.drop_column(table, 'social_image_id')
        op.drop_column(table, 'seo_description')
        op.drop_column(table, 'seo_title')
    op.drop_column('media_files', 'variants')
    op.drop_column('media_files', 'height')
    op.drop_column('media_files', 'width')
