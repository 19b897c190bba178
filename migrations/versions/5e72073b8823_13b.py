"""accounts: profiles and recovery (issue 13, part b): filled in by the work on that issue

Revision ID: 5e72073b8823
Revises: 2df213a6394e
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = '5e72073b8823'
down_revision = '2df213a6394e'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
