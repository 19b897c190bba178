"""staff tools (issue 13, part c): category order, blocked people, the site banner, featured grids and package,
the total commit count, and an index for the recent changes by kind

Revision ID: 6a10e3c160dc
Revises: 5e72073b8823
Create Date: 2026-11-30 06:45:00

"""
import sqlalchemy as sa
from alembic import op

from webapp.db_types import UTCDateTime

# revision identifiers, used by Alembic.
revision = '6a10e3c160dc'
down_revision = '5e72073b8823'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch copy of the tables), so the counter triggers on them stay (webapp/counters.py).
    op.add_column("categories", sa.Column("position", sa.Integer(), server_default="0", nullable=False))
    op.add_column("users", sa.Column("blocked_at", UTCDateTime(), nullable=True))
    op.add_column("packages", sa.Column("commit_count", sa.Integer(), nullable=True))
    op.create_index("ix_changes_kind", "changes", ["object_type", "id"])
    op.create_table(
        "banners",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_banners_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_banners")),
    )
    op.create_index("ix_banners_ends_at", "banners", ["ends_at"])
    op.create_table(
        "featured_grids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_featured_grids_grid_id_grids"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_featured_grids")),
        sa.UniqueConstraint("grid_id", name=op.f("uq_featured_grids_grid_id")),
    )
    op.create_table(
        "featured_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["package_id"], ["packages.id"], name=op.f("fk_featured_packages_package_id_packages"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_featured_packages")),
        sa.UniqueConstraint("package_id", name=op.f("uq_featured_packages_package_id")),
    )


def downgrade():
    op.drop_table("featured_packages")
    op.drop_table("featured_grids")
    op.drop_index("ix_banners_ends_at", table_name="banners")
    op.drop_table("banners")
    op.drop_index("ix_changes_kind", table_name="changes")
    # SQLite 3.35+ drops a column in place (no table copy), keeping the counter triggers.
    op.drop_column("packages", "commit_count")
    op.drop_column("users", "blocked_at")
    op.drop_column("categories", "position")
