"""community: favorites, sites using (issue 13, part a)

Favorites (a person starring a package) with their count on the package, kept by triggers (webapp/counters.py);
the sites using a package; whether a person's profile shows their favorites.

Revision ID: 2df213a6394e
Revises: cca246ce991e
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa
from alembic import op

# The trigger generator of the app; the counter is copied here as it is at this revision, so the migration keeps
# its meaning whatever later code counts.
from webapp.counters import Counter, install, uninstall
from webapp.migration_support import restore_sqlite_schema, saved_sqlite_schema

# revision identifiers, used by Alembic.
revision = '2df213a6394e'
down_revision = 'cca246ce991e'
branch_labels = None
depends_on = None

COUNTERS = (Counter("package_favorites", "favorites", parent=("packages", "favorite_count"), key="package_id"),)
FAVORITE_ORDER = [sa.text("favorite_count DESC"), "title"]


def _sqlite_schema(tables):
    return saved_sqlite_schema(op.get_bind(), tables)


def _restore_sqlite_schema(saved):
    restore_sqlite_schema(op.get_bind(), saved)


def upgrade():
    saved = _sqlite_schema(("packages", "users"))
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('favorite_count', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('favorites_public', sa.Boolean(), server_default=sa.false(), nullable=False))
    _restore_sqlite_schema(saved)
    listed = sa.text('removed_at IS NULL')
    op.create_index('ix_packages_listed_by_favorites', 'packages', FAVORITE_ORDER, unique=False,
                    sqlite_where=listed, postgresql_where=listed)
    op.create_index('ix_packages_category_by_favorites', 'packages', ['category_id', *FAVORITE_ORDER], unique=False,
                    sqlite_where=listed, postgresql_where=listed)

    op.create_table('favorites',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('package_id', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['package_id'], ['packages.id'], name=op.f('fk_favorites_package_id_packages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_favorites_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'package_id', name=op.f('pk_favorites'))
    )
    op.create_index('ix_favorites_package_id', 'favorites', ['package_id'], unique=False)
    op.create_index('ix_favorites_user_created', 'favorites', ['user_id', 'created'], unique=False)

    op.create_table('package_examples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('package_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('hidden', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_package_examples_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['package_id'], ['packages.id'], name=op.f('fk_package_examples_package_id_packages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_package_examples'))
    )
    op.create_index('ix_package_examples_package', 'package_examples', ['package_id', 'created'], unique=False)
    install(op.get_bind(), COUNTERS)


def downgrade():
    uninstall(op.get_bind(), COUNTERS)
    op.drop_index('ix_package_examples_package', table_name='package_examples')
    op.drop_table('package_examples')
    op.drop_index('ix_favorites_user_created', table_name='favorites')
    op.drop_index('ix_favorites_package_id', table_name='favorites')
    op.drop_table('favorites')
    op.drop_index('ix_packages_category_by_favorites', table_name='packages')
    op.drop_index('ix_packages_listed_by_favorites', table_name='packages')
    saved = _sqlite_schema(("packages", "users"))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('favorites_public')
    with op.batch_alter_table('packages', schema=None) as batch_op:
        batch_op.drop_column('favorite_count')
    _restore_sqlite_schema(saved)
