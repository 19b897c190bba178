"""packages.current_release_id: the one release every page, grid and API answer shows

Revision ID: a3c9e2d41b07
Revises: 5e4b1f0c7a21
Create Date: 2026-11-30 04:30:00

"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from packaging.version import InvalidVersion, Version

# revision identifiers, used by Alembic.
revision = 'a3c9e2d41b07'
down_revision = '5e4b1f0c7a21'
branch_labels = None
depends_on = None

FK_NAME = 'fk_packages_current_release_id_versions'


def upgrade():
    # Batch mode: SQLite can only add a named foreign key by copying the table (migrations/env.py turns foreign
    # keys off for that, so dropping the old copy cascades nowhere); PostgreSQL alters it in place.
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('current_release_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(FK_NAME, 'versions', ['current_release_id'], ['id'], ondelete='SET NULL')
    _fill()


def _is_final(number):
    try:
        return not Version(number).is_prerelease
    except InvalidVersion:
        return False


def _newest(rows):
    return max(rows, key=lambda row: row.upload_time or datetime.min, default=None)


def _current(pypi_version, releases):
    # The rule of webapp.catalog.releases.current_release as of this revision, copied so that this migration
    # keeps its meaning whatever later code does; later changes to the rule reach a package at its next fetch.
    listed = [row for row in releases if not row.hidden]
    for row in listed:
        if pypi_version and row.number == pypi_version and not row.yanked:
            return row
    available = [row for row in listed if not row.yanked]
    return _newest([row for row in available if _is_final(row.number)]) or _newest(available) or _newest(listed)


def _fill():
    connection = op.get_bind()
    packages = sa.table('packages', sa.column('id', sa.Integer()), sa.column('pypi_version', sa.String(100)),
                        sa.column('current_release_id', sa.Integer()))
    versions = sa.table('versions', sa.column('id', sa.Integer()), sa.column('package_id', sa.Integer()),
                        sa.column('number', sa.String(100)), sa.column('upload_time', sa.DateTime()),
                        sa.column('hidden', sa.Boolean()), sa.column('yanked', sa.Boolean()))
    by_package = {}
    for row in connection.execute(sa.select(versions).order_by(versions.c.package_id, versions.c.id)):
        by_package.setdefault(row.package_id, []).append(row)
    for package_id, pypi_version in connection.execute(sa.select(packages.c.id, packages.c.pypi_version)).all():
        chosen = _current(pypi_version, by_package.get(package_id, []))
        if chosen is not None:
            connection.execute(packages.update().where(packages.c.id == package_id)
                               .values(current_release_id=chosen.id))


def downgrade():
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.drop_constraint(FK_NAME, type_='foreignkey')
        batch_op.drop_column('current_release_id')
