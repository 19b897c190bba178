"""health: version support, release cycles (issue 12, part a): filled in by the work on that issue

Revision ID: a9f3aa8b694e
Revises: f3b7d2a9c418
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'a9f3aa8b694e'
down_revision = 'f3b7d2a9c418'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
