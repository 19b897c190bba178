"""compare and export (issue 14, part a): stored commit sparklines drawn again, smaller

Compare and export need no table. The sparkline renderer now draws each week as one short stroke in a small
coordinate system (webapp/rendering.py), so list pages are a fraction of their size; the drawings stored by the
old renderer are made again here from the stored weekly counts.

Revision ID: bc3ae76ed21b
Revises: 6a10e3c160dc
Create Date: 2026-11-30 06:45:00

"""
import json

import sqlalchemy as sa
from alembic import op

from webapp.rendering import render_sparkline

# revision identifiers, used by Alembic.
revision = 'bc3ae76ed21b'
down_revision = '6a10e3c160dc'
branch_labels = None
depends_on = None

BATCH = 500


def upgrade():
    connection = op.get_bind()
    packages = sa.table('packages', sa.column('id', sa.Integer()), sa.column('commits_over_52', sa.Text()),
                        sa.column('commits_sparkline', sa.Text()))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(packages.c.id, packages.c.commits_over_52).where(packages.c.id > last_id)
            .order_by(packages.c.id).limit(BATCH)).all()
        if not rows:
            break
        updates = []
        for ident, counts in rows:
            if isinstance(counts, str):
                counts = json.loads(counts or '[]')
            updates.append({'ident': ident, 'drawing': render_sparkline(counts)})
        connection.execute(packages.update().where(packages.c.id == sa.bindparam('ident'))
                           .values(commits_sparkline=sa.bindparam('drawing')), updates)
        last_id = rows[-1][0]


def downgrade():
    # The smaller drawings are valid SVG for the older code too (its stylesheet fills rather than strokes them,
    # so they show faintly until each package is next fetched): nothing to undo.
    pass
