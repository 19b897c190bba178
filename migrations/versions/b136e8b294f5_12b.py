"""health: deprecation, vulnerabilities, score inputs (issue 12, part b): filled in by the work on that issue

Revision ID: b136e8b294f5
Revises: a9f3aa8b694e
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'b136e8b294f5'
down_revision = 'a9f3aa8b694e'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
