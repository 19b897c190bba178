"""Rendered HTML stored beside its source: grid and feature descriptions, cells, flag reasons, sparklines

Revision ID: d7e5a1c9b342
Revises: a3c9e2d41b07
Create Date: 2026-11-30 05:00:00

"""
import json

import sqlalchemy as sa
from alembic import op

# The renderers the app stores with (pure functions of the text); later changes to them reach a row when it is
# next written.
from webapp.rendering import RENDERERS

# revision identifiers, used by Alembic.
revision = 'd7e5a1c9b342'
down_revision = 'a3c9e2d41b07'
branch_labels = None
depends_on = None

# (table, source column, html column, renderer)
RENDERED = [
    ('grids', 'description', 'description_html', 'markdown'),
    ('features', 'description', 'description_html', 'markdown_inline'),
    ('elements', 'text', 'text_html', 'cell'),
    ('flags', 'reason', 'reason_html', 'markdown'),
    ('packages', 'commits_over_52', 'commits_sparkline', 'sparkline'),
]


def upgrade():
    for table, _source, html, _renderer in RENDERED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(html, sa.Text(), server_default='', nullable=False))
    connection = op.get_bind()
    for table, source, html, renderer in RENDERED:
        rows = sa.table(table, sa.column('id', sa.Integer()), sa.column(source, sa.Text()),
                        sa.column(html, sa.Text()))
        render = RENDERERS[renderer]
        for ident, value in connection.execute(sa.select(rows.c.id, rows.c[source])).all():
            if renderer == 'sparkline' and isinstance(value, str):
                value = json.loads(value or '[]')
            rendered = render(value)
            if rendered:
                connection.execute(rows.update().where(rows.c.id == ident).values({html: rendered}))


def downgrade():
    for table, _source, html, _renderer in RENDERED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(html)
