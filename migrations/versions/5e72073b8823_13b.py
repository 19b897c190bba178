"""accounts: profiles and recovery (issue 13, part b)

Revision ID: 5e72073b8823
Revises: 2df213a6394e
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5e72073b8823'
down_revision = '2df213a6394e'
branch_labels = None
depends_on = None


TEXT_COLUMNS = (
    ('bio', sa.Text()),
    ('bio_html', sa.Text()),
    ('github_handle', sa.String(length=100)),
    ('gitlab_handle', sa.String(length=100)),
    ('bitbucket_handle', sa.String(length=100)),
    ('codeberg_handle', sa.String(length=100)),
    ('mastodon_url', sa.String(length=500)),
    ('website_url', sa.String(length=500)),
)
LOWER_INDEXES = ('email', 'github_login', 'github_handle', 'gitlab_handle', 'bitbucket_handle', 'codeberg_handle')


def upgrade():
    # Plain ALTER TABLE, not batch mode: a batch copy of users on SQLite would lose the lower(username) unique
    # index, which SQLite cannot reflect. NOT NULL with a server default is a single ADD COLUMN on both databases.
    op.add_column('users', sa.Column('email_verified_at', sa.DateTime(), nullable=True))
    for name, type_ in TEXT_COLUMNS:
        op.add_column('users', sa.Column(name, type_, server_default='', nullable=False))
    for column in LOWER_INDEXES:
        op.create_index(f'ix_users_{column}_lower', 'users', [sa.literal_column(f'lower({column})')])


def downgrade():
    for column in LOWER_INDEXES:
        op.drop_index(f'ix_users_{column}_lower', table_name='users')
    for name, _type in reversed(TEXT_COLUMNS):
        op.drop_column('users', name)  # SQLite 3.35+ drops a column in place
    op.drop_column('users', 'email_verified_at')
