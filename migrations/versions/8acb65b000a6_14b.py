"""grid editing comfort (issue 14, part b): filled in by the work on that issue

Revision ID: 8acb65b000a6
Revises: bc3ae76ed21b
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = '8acb65b000a6'
down_revision = 'bc3ae76ed21b'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
