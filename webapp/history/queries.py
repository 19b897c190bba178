"""Reading the history of a package or a grid."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp.catalog.models import Package
from webapp.extensions import db
from webapp.grids.models import Grid
from webapp.history.models import Change


def changes_for(*, package_id: int | None = None, grid_id: int | None = None, user_id: int | None = None,
                limit: int = 200) -> list[Change]:
    """The newest changes listed on a package's, grid's or person's history: one query."""
    statement = select(Change).options(joinedload(Change.user)).order_by(Change.created.desc(), Change.id.desc())
    if package_id is not None:
        statement = statement.where(Change.package_id == package_id)
    if grid_id is not None:
        statement = statement.where(Change.grid_id == grid_id)
    if user_id is not None:
        statement = statement.where(Change.user_id == user_id)
    return list(db.session.scalars(statement.limit(limit)))


def change_or_404(change_id: int) -> Change:
    """A recorded change by id; a 404 page when there is none."""
    return db.get_or_404(Change, change_id, description="There is no such change.")


def current_slugs(change: Change) -> tuple[str | None, str | None]:
    """(grid slug, package slug) of the grid and package whose history pages list ``change``, as they are now
    (``None`` for one it is not listed under, or that is gone)."""
    grid_slug = (db.session.scalar(select(Grid.slug).where(Grid.id == change.grid_id))
                 if change.grid_id is not None else None)
    package_slug = (db.session.scalar(select(Package.slug).where(Package.id == change.package_id))
                    if change.package_id is not None else None)
    return grid_slug, package_slug
