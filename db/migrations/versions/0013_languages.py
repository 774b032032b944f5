"""languages: each person's language (users, invites, signups), each site's languages
(tenants.language and tenants.languages), and translations of pages, posts and products

Revision ID: 0013
Revises: 0012

Existing rows keep English, the only language they have known: their sites were seeded in
English and their people read English until they choose. New rows default to Dutch.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

OWN_TENANT = ("current_user <> 'contyzr_tenant' "
              "OR tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::int")
UI = "'nl', 'en'"
SITE = "'nl', 'en', 'de', 'fr'"
# (table, the translated row's column, the table it translates, its text columns)
TRANSLATIONS = (
    ('page_translations', 'page_id', 'pages', (
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('blocks', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('seo_title', sa.String(length=120), nullable=True),
        sa.Column('seo_description', sa.String(length=300), nullable=True),
    )),
    ('post_translations', 'post_id', 'posts', (
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('seo_title', sa.String(length=120), nullable=True),
        sa.Column('seo_description', sa.String(length=300), nullable=True),
    )),
    ('product_translations', 'product_id', 'products', (
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
    )),
)


def upgrade() -> None:
    for table in ('users', 'invites', 'signups'):
        op.add_column(table, sa.Column('language', sa.String(length=8), server_default='nl',
                                       nullable=False))
        op.execute(sa.table(table, sa.column('language')).update().values(language='en'))
    op.create_check_constraint(op.f('ck_users_language'), 'users', f"language IN ({UI})")
    op.create_check_constraint(op.f('ck_invites_language'), 'invites', f"language IN ({UI})")
    op.add_column('signups', sa.Column('site_language', sa.String(length=8), server_default='nl',
                                       nullable=False))
    op.execute("UPDATE signups SET site_language = 'en'")
    op.create_check_constraint(op.f('ck_signups_languages'), 'signups',
                               f"language IN ({UI}) AND site_language IN ({UI})")

    op.add_column('tenants', sa.Column('language', sa.String(length=8), server_default='nl',
                                       nullable=False))
    op.add_column('tenants', sa.Column('languages', postgresql.ARRAY(sa.String(length=8)),
                                       server_default='{nl}', nullable=False))
    op.execute("UPDATE tenants SET language = 'en', languages = '{en}'")
    op.create_check_constraint(op.f('ck_tenants_languages'), 'tenants',
                               f"languages <@ ARRAY[{SITE}]::varchar[] "
                               "AND language = ANY(languages)")
    # The owner chooses the site's languages in the portal (tenants/site_languages.py).
    op.execute("GRANT UPDATE (language, languages) ON tenants TO contyzr_tenant")

    for table, item, translated, texts in TRANSLATIONS:
        op.create_table(table,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tenant_id', sa.Integer(), nullable=False),
        sa.Column(item, sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        *texts,
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint(f"language IN ({SITE})", name=op.f(f'ck_{table}_language')),
        sa.ForeignKeyConstraint([item], [f'{translated}.id'], name=op.f(f'fk_{table}_{item}_{translated}'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f(f'fk_{table}_tenant_id_tenants'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
        sa.UniqueConstraint(item, 'language', name=op.f(f'uq_{table}_{item}'))
        )
        op.create_index(f'ix_{table}_tenant_id', table, ['tenant_id'], unique=False)
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO contyzr_tenant")
        op.execute(f"GRANT USAGE ON SEQUENCE {table}_id_seq TO contyzr_tenant")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} "
                   f"USING ({OWN_TENANT}) WITH CHECK ({OWN_TENANT})")


def downgrade() -> None:
    for table, _item, _translated, _texts in reversed(TRANSLATIONS):
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
        op.drop_index(f'ix_{table}_tenant_id', table_name=table)
        op.drop_table(table)
    op.execute("REVOKE UPDATE (language, languages) ON tenants FROM contyzr_tenant")
    op.drop_constraint(op.f('ck_tenants_languages'), 'tenants', type_='check')
    op.drop_column('tenants', 'languages')
    op.drop_column('tenants', 'language')
    op.drop_constraint(op.f('ck_signups_languages'), 'signups', type_='check')
    op.drop_column('signups', 'site_language')
    op.drop_constraint(op.f('ck_invites_language'), 'invites', type_='check')
    op.drop_constraint(op.f('ck_users_language'), 'users', type_='check')
    for table in ('signups', 'invites', 'users'):
        op.drop_column(table, 'language')
