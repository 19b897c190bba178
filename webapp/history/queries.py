"""Reading the history of a package or a grid."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp.extensions import db
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
