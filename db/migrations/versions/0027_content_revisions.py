"""content revisions: the history of each page, post and product, one row per save with a copy
of the content; the writing assistant's requests point at the revision their proposal was
saved in; a tenant reads and writes its own (row level security)

Revision ID: 0027
Revises: 0026
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

OWN_TENANT = ("current_user <> 'contyzr_tenant' "
              "OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int")


def upgrade() -> None:
    op.create_table(
        'content_revisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column('page_id', sa.Integer(), nullable=True),
        sa.Column('post_id', sa.Integer(), nullable=True),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('change', sa.String(length=12), nullable=False),
        sa.Column('detail', sa.String(length=40), nullable=True),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.Column('content', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('num_nonnulls(page_id, post_id, product_id) = 1',
                           name=op.f('ck_content_revisions_one_item')),
        sa.CheckConstraint("change IN ('settings', 'block', 'post', 'product', 'translation')",
                           name=op.f('ck_content_revisions_change')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE',
                                name=op.f('fk_content_revisions_tenant_id_tenants')),
        sa.ForeignKeyConstraint(['page_id'], ['pages.id'], ondelete='CASCADE',
                                name=op.f('fk_content_revisions_page_id_pages')),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE',
                                name=op.f('fk_content_revisions_post_id_posts')),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], ondelete='CASCADE',
                                name=op.f('fk_content_revisions_product_id_products')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL',
                                name=op.f('fk_content_revisions_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_content_revisions')),
    )
    op.create_index(op.f('ix_content_revisions_tenant_id'), 'content_revisions', ['tenant_id'])
    for item in ('page', 'post', 'product'):
        op.create_index(f'ix_content_revisions_{item}', 'content_revisions', [f'{item}_id', 'id'],
                        postgresql_where=sa.text(f'{item}_id IS NOT NULL'))
    op.add_column('assistant_requests', sa.Column('revision_id', sa.Integer(), nullable=True))
    op.create_foreign_key(op.f('fk_assistant_requests_revision_id_content_revisions'),
                          'assistant_requests', 'content_revisions', ['revision_id'], ['id'],
                          ondelete='SET NULL')
    op.create_index('ix_assistant_requests_revision', 'assistant_requests', ['revision_id'],
                    postgresql_where=sa.text('revision_id IS NOT NULL'))
    op.execute("GRANT SELECT, INSERT, DELETE ON content_revisions TO contyzr_tenant")
    op.execute("GRANT USAGE ON SEQUENCE content_revisions_id_seq TO contyzr_tenant")
    op.execute("ALTER TABLE content_revisions ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE content_revisions FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY tenant_isolation ON content_revisions "
               f"USING ({OWN_TENANT}) WITH CHECK ({OWN_TENANT})")


def downgrade() -> None:
    op.drop_index('ix_assistant_requests_revision', table_name='assistant_requests')
    op.drop_constraint(op.f('fk_assistant_requests_revision_id_content_revisions'),
                       'assistant_requests', type_='foreignkey')
    op.drop_column('assistant_requests', 'revision_id')
    op.drop_table('content_revisions')
