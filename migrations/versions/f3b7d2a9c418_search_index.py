"""Search index: FTS5 tables on SQLite; weighted tsvector tables with GIN indexes and pg_trgm on PostgreSQL

Revision ID: f3b7d2a9c418
Revises: e4a8c2f6b1d9
Create Date: 2026-11-30 05:10:00

"""
from alembic import op

# The index is not a model: the app's own function creates its tables and fills them from the existing rows,
# the same one db.create_all() runs (webapp/search/index.py).
from webapp.search.index import install, uninstall

# revision identifiers, used by Alembic.
revision = 'f3b7d2a9c418'
down_revision = 'e4a8c2f6b1d9'
branch_labels = None
depends_on = None


def upgrade():
    install(op.get_bind())


def downgrade():
    uninstall(op.get_bind())
