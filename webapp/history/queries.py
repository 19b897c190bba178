"""Reading the history of a package or a grid."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp.extensions import db
from webapp.history.models import GRID_TYPE, PACKAGE_TYPE, Change, model_for


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
    return _slug(GRID_TYPE, change.grid_id), _slug(PACKAGE_TYPE, change.package_id)


def _slug(object_type: str, ident: int | None) -> str | None:
    model = model_for(object_type)
    if ident is None or model is None:
        return None
    return db.session.scalar(select(model.slug).where(model.id == ident))


def latest_change(object_type: str, object_id: int, *, grid_id: int | None = None) -> Change | None:
    """The newest recorded change of one object, with who made it: one query (``grid_id`` narrows it to a
    grid's history, which is indexed)."""
    statement = (select(Change).options(joinedload(Change.user))
                 .where(Change.object_type == object_type, Change.object_id == object_id)
                 .order_by(Change.created.desc(), Change.id.desc()).limit(1))
    if grid_id is not None:
        statement = statement.where(Change.grid_id == grid_id)
    return db.session.scalar(statement)
