"""staff tools (issue 13, part c): filled in by the work on that issue

Revision ID: 6a10e3c160dc
Revises: 5e72073b8823
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = '6a10e3c160dc'
down_revision = '5e72073b8823'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
