"""grid editing comfort (issue 14, part b): old grid addresses, and cells re-rendered with the keyword table

Revision ID: 8acb65b000a6
Revises: bc3ae76ed21b
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa
from alembic import op

# The cell renderer of the app (a pure function of the text): +1, check, bad and the rest now render as
# djangopackages.org renders them, and a keyword counts only as a whole word, so every stored cell is redone.
from webapp.db_types import UTCDateTime
from webapp.rendering import render_cell

# revision identifiers, used by Alembic.
revision = '8acb65b000a6'
down_revision = 'bc3ae76ed21b'
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade():
    op.create_table(
        'grid_old_slugs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=100), nullable=False),
        sa.Column('grid_id', sa.Integer(), nullable=False),
        sa.Column('created', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['grid_id'], ['grids.id'], name=op.f('fk_grid_old_slugs_grid_id_grids'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_old_slugs')),
        sa.UniqueConstraint('slug', name=op.f('uq_grid_old_slugs_slug')),
    )
    with op.batch_alter_table('grid_old_slugs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grid_old_slugs_grid_id'), ['grid_id'], unique=False)
    rerender_cells()


def rerender_cells():
    """Store each cell's HTML anew, in batches by id, writing only the rows whose HTML changes."""
    connection = op.get_bind()
    elements = sa.table('elements', sa.column('id', sa.Integer()), sa.column('text', sa.Text()),
                        sa.column('text_html', sa.Text()))
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(elements.c.id, elements.c.text, elements.c.text_html)
            .where(elements.c.id > last_id).order_by(elements.c.id).limit(BATCH)).all()
        if not rows:
            break
        for ident, text, html in rows:
            rendered = render_cell(text)
            if rendered != html:
                connection.execute(elements.update().where(elements.c.id == ident).values(text_html=rendered))
        last_id = rows[-1][0]


def downgrade():
    with op.batch_alter_table('grid_old_slugs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grid_old_slugs_grid_id'))
    op.drop_table('grid_old_slugs')
