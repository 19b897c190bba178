"""health: deprecation, vulnerabilities, score inputs (issue 12, part b): filled in by the work on that issue

Revision ID: b136e8b294f5
Revises: a9f3aa8b694e
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa
from alembic import op

import webapp.db_types

# revision identifiers, used by Alembic.
revision = 'b136e8b294f5'
down_revision = 'a9f3aa8b694e'
branch_labels = None
depends_on = None


def _sqlite_schema(tables):
    """The CREATE statements of the triggers and indexes on ``tables`` (SQLite only): copying a table, as
    ``batch_alter_table`` may, drops its triggers and the indexes on expressions it cannot reflect."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return []
    marks = ", ".join(f"'{table}'" for table in tables)
    return bind.exec_driver_sql(f"SELECT name, sql FROM sqlite_master WHERE type IN ('trigger', 'index') "
                                f"AND sql IS NOT NULL AND tbl_name IN ({marks})").all()


def _restore_sqlite_schema(saved):
    if not saved:
        return
    bind = op.get_bind()
    present = set(bind.exec_driver_sql("SELECT name FROM sqlite_master").scalars())
    for name, sql in saved:
        if name not in present:
            bind.exec_driver_sql(sql)


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
