"""users.session_token: sign-out and password changes end every session

Revision ID: 5e4b1f0c7a21
Revises: 8c0a305cc65b
Create Date: 2026-11-30 04:00:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e4b1f0c7a21'
down_revision = '8c0a305cc65b'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ALTER TABLE, not batch mode: a batch copy of users on SQLite would lose the lower(username) unique
    # index, which SQLite cannot reflect. NOT NULL with a server default is a single ADD COLUMN on both databases.
    op.add_column('users', sa.Column('session_token', sa.String(length=64), server_default='', nullable=False))
    # Every existing account gets its own random token (sessions made before this migration end).
    connection = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer()), sa.column('session_token', sa.String(64)))
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(users.update().where(users.c.id == user_id)
                           .values(session_token=secrets.token_urlsafe(32)))


def downgrade():
    op.drop_column('users', 'session_token')  # SQLite 3.35+ drops a column in place
