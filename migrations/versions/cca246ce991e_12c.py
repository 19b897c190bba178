"""health: trends snapshots (issue 12, part c): filled in by the work on that issue

Revision ID: cca246ce991e
Revises: b136e8b294f5
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'cca246ce991e'
down_revision = 'b136e8b294f5'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
