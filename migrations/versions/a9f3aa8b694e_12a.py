"""health: version support, release cycles (issue 12, part a)

Revision ID: a9f3aa8b694e
Revises: f3b7d2a9c418
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa
from alembic import op

import webapp.db_types

# revision identifiers, used by Alembic.
revision = 'a9f3aa8b694e'
down_revision = 'f3b7d2a9c418'
branch_labels = None
depends_on = None


DECLARED = ('classifiers', 'django_versions', 'python_versions', 'wagtail_versions')


def upgrade():
    # What a release's classifiers declare; filled for existing releases by their next fetch.
    with op.batch_alter_table('versions', schema=None) as batch_op:
        for name in DECLARED:
            batch_op.add_column(sa.Column(name, sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('for_wagtail', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table(
        'release_cycles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product', sa.String(length=20), nullable=False),
        sa.Column('cycle', sa.String(length=20), nullable=False),
        sa.Column('release_date', sa.Date(), nullable=True),
        sa.Column('support_date', sa.Date(), nullable=True),
        sa.Column('support_flag', sa.Boolean(), nullable=True),
        sa.Column('eol_date', sa.Date(), nullable=True),
        sa.Column('eol_flag', sa.Boolean(), nullable=True),
        sa.Column('latest', sa.String(length=50), nullable=False),
        sa.Column('latest_release_date', sa.Date(), nullable=True),
        sa.Column('lts', sa.Boolean(), nullable=False),
        sa.Column('updated', webapp.db_types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_release_cycles')),
        sa.UniqueConstraint('product', 'cycle', name=op.f('uq_release_cycles_product_cycle')),
    )
    # PyPI's validators go, so each package's next fetch is a full answer whose classifiers are stored (a 304
    # would leave the new columns empty until the project changes on PyPI).
    op.execute("DELETE FROM http_cache_entries WHERE url LIKE '%/pypi/%/json'")


def downgrade():
    op.drop_table('release_cycles')
    with op.batch_alter_table('versions', schema=None) as batch_op:
        batch_op.drop_column('for_wagtail')
        for name in reversed(DECLARED):
            batch_op.drop_column(name)
