"""health: trends snapshots (issue 12, part c)

Revision ID: cca246ce991e
Revises: b136e8b294f5
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa
from alembic import op

import webapp.db_types

# revision identifiers, used by Alembic.
revision = 'cca246ce991e'
down_revision = 'b136e8b294f5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trend_chart', sa.Text(), server_default='', nullable=False))
    op.create_table(
        'package_snapshots',
        sa.Column('package_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('stars', sa.Integer(), nullable=False),
        sa.Column('forks', sa.Integer(), nullable=False),
        sa.Column('participants', sa.Integer(), nullable=False),
        sa.Column('version', sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(['package_id'], ['packages.id'], name=op.f('fk_package_snapshots_package_id_packages'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('package_id', 'day', name=op.f('pk_package_snapshots')),
    )
    op.create_table(
        'fetch_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('fetched', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_fetch_days')),
    )
    op.create_table(
        'fetch_quotas',
        sa.Column('host', sa.String(length=50), nullable=False),
        sa.Column('limit', sa.Integer(), nullable=True),
        sa.Column('remaining', sa.Integer(), nullable=False),
        sa.Column('reset_at', webapp.db_types.UTCDateTime(), nullable=True),
        sa.Column('recorded_at', webapp.db_types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('host', name=op.f('pk_fetch_quotas')),
    )


def downgrade():
    op.drop_table('fetch_quotas')
    op.drop_table('fetch_days')
    op.drop_table('package_snapshots')
    # Dropped in place (SQLite 3.35+ and PostgreSQL): a batch copy of packages would lose its triggers and indexes.
    op.execute('ALTER TABLE packages DROP COLUMN trend_chart')
