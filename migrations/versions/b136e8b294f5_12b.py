"""health: deprecation, vulnerabilities, score inputs (issue 12, part b)

Revision ID: b136e8b294f5
Revises: a9f3aa8b694e
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa
from alembic import op

import webapp.db_types
from webapp.migration_support import restore_sqlite_schema, saved_sqlite_schema

# revision identifiers, used by Alembic.
revision = 'b136e8b294f5'
down_revision = 'a9f3aa8b694e'
branch_labels = None
depends_on = None


def _sqlite_schema(tables):
    return saved_sqlite_schema(op.get_bind(), tables)


def _restore_sqlite_schema(saved):
    restore_sqlite_schema(op.get_bind(), saved)


def upgrade():
    saved = _sqlite_schema(("packages",))
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deprecation_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('vulnerability_count', sa.Integer(), server_default='0', nullable=False))
    _restore_sqlite_schema(saved)
    # A package given a deprecation date before the status existed was marked deprecated.
    op.execute("UPDATE packages SET deprecation_status = 'deprecated' WHERE date_deprecated IS NOT NULL")

    op.create_table(
        'vulnerabilities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('package_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.String(length=100), nullable=False),
        sa.Column('advisory_id', sa.String(length=100), nullable=False),
        sa.Column('aliases', sa.JSON(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('fixed_in', sa.JSON(), nullable=False),
        sa.Column('link', sa.String(length=500), nullable=False),
        sa.Column('created', webapp.db_types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['package_id'], ['packages.id'], name=op.f('fk_vulnerabilities_package_id_packages'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vulnerabilities')),
    )
    with op.batch_alter_table('vulnerabilities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vulnerabilities_package_id'), ['package_id'], unique=False)


def downgrade():
    with op.batch_alter_table('vulnerabilities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vulnerabilities_package_id'))
    op.drop_table('vulnerabilities')
    saved = _sqlite_schema(("packages",))
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.drop_column('vulnerability_count')
        batch_op.drop_column('deprecation_status')
    _restore_sqlite_schema(saved)
