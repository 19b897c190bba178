"""Stored counters (site_counters, categories.package_count, kept by triggers) and an index per list order

Revision ID: e4a8c2f6b1d9
Revises: c71d0e5a9b32
Create Date: 2026-11-30 05:30:00

"""
import sqlalchemy as sa
from alembic import op

# The trigger generator of the app; the counters are copied here as they are at this revision, so the migration
# keeps its meaning whatever later code counts (a later counter comes with its own migration).
from webapp.counters import Counter, install, uninstall

# revision identifiers, used by Alembic.
revision = 'e4a8c2f6b1d9'
down_revision = 'c71d0e5a9b32'
branch_labels = None
depends_on = None

LISTED = "{row}.removed_at IS NULL"
COUNTERS = (
    Counter("packages", "packages", LISTED, ("removed_at",)),
    Counter("demo_packages", "packages", "{row}.stats_are_demo", ("stats_are_demo",)),
    Counter("grids", "grids"),
    Counter("categories", "categories"),
    Counter("users", "users"),
    Counter("active_users", "users", "{row}.is_active", ("is_active",)),
    Counter("category_packages", "packages", LISTED, ("removed_at",), parent=("categories", "package_count"),
            key="category_id"),
)

# The package list orders (webapp.catalog.models.PACKAGE_LIST_ORDERS) and the grid list orders.
PACKAGE_ORDERS = {
    "stars": ["repo_watchers DESC", "title"],
    "score": ["score DESC", "title"],
    "forks": ["repo_forks DESC", "title"],
    "last_commit": ["(last_commit_date IS NULL)", "last_commit_date DESC", "title"],
    "usage": ["usage_count DESC", "title"],
    "newest": ["created DESC", "id DESC"],
    "title": ["lower(title)", "id"],
}
GRID_ORDERS = {
    "popular": ["package_count DESC", "title"],
    "title": ["lower(title)", "id"],
    "newest": ["created DESC", "id DESC"],
    "updated": ["modified DESC", "id DESC"],
}


def _columns(expressions):
    return [name if name.isidentifier() else sa.text(name) for name in expressions]


def _package_indexes():
    yield "ix_packages_category_by_id", ["category_id", "id"], True
    for key, order in PACKAGE_ORDERS.items():
        yield f"ix_packages_listed_by_{key}", order, True
        yield f"ix_packages_category_by_{key}", ["category_id", *order], True
    yield "ix_packages_created_by_id", ["created_by_id"], False


def upgrade():
    op.create_table(
        'site_counters',
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('package_count', sa.Integer(), server_default='0', nullable=False))
    listed = sa.text('removed_at IS NULL')
    for name, order, partial in _package_indexes():
        where = {'sqlite_where': listed, 'postgresql_where': listed} if partial else {}
        op.create_index(name, 'packages', _columns(order), unique=False, **where)
    for key, order in GRID_ORDERS.items():
        op.create_index(f"ix_grids_by_{key}", 'grids', _columns(order), unique=False)
    install(op.get_bind(), COUNTERS)


def downgrade():
    uninstall(op.get_bind(), COUNTERS)
    for key in GRID_ORDERS:
        op.drop_index(f"ix_grids_by_{key}", table_name='grids')
    for name, _order, _partial in _package_indexes():
        op.drop_index(name, table_name='packages')
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('package_count')
    op.drop_table('site_counters')
