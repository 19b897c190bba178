"""compare and export (issue 14, part a): filled in by the work on that issue

Revision ID: bc3ae76ed21b
Revises: 6a10e3c160dc
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'bc3ae76ed21b'
down_revision = '6a10e3c160dc'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
