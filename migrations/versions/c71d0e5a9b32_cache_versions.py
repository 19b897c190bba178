"""cache_versions: the page cache's scope versions, shared by every process and server

Revision ID: c71d0e5a9b32
Revises: d7e5a1c9b342
Create Date: 2026-11-30 05:05:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c71d0e5a9b32'
down_revision = 'd7e5a1c9b342'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'cache_versions',
        sa.Column('scope', sa.String(length=100), nullable=False),
        sa.Column('version', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('scope', name=op.f('pk_cache_versions')),
    )


def downgrade():
    op.drop_table('cache_versions')
