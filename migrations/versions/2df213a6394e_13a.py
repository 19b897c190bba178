"""community: favorites, sites using (issue 13, part a): filled in by the work on that issue

Revision ID: 2df213a6394e
Revises: cca246ce991e
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = '2df213a6394e'
down_revision = 'cca246ce991e'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
