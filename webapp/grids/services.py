"""Writes to grids: create, edit, lock and delete grids; add and remove packages; features; cells.

Every write is recorded in the history (:mod:`webapp.history.services`) and flushed; the unit of work (the
request, see :mod:`webapp.transaction`) commits. Edits of an existing grid, feature or cell carry the revision
the editor loaded: a save from an older revision raises :class:`~webapp.history.services.StaleEdit` and
changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from webapp.catalog.models import Package
from webapp.db_types import utcnow
from webapp.domain_errors import FieldError
from webapp.extensions import db
from webapp.grids.models import Element, Feature, Grid, GridOldSlug, GridPackage
from webapp.grids.queries import gridded_by_others
from webapp.history.models import Change, ChangeAction
from webapp.history.services import StaleEdit, apply_changes, lock_row, record
from webapp.signals import package_claim_asked, package_deleting


class GridWriteError(FieldError):
    """A grid write that cannot be done; ``field`` names the form field to show ``message`` on ("" for the form)."""


GRID_GONE = "This grid was deleted a moment ago."


def _lock_grid(grid: Grid) -> None:
    """Take the grid's row before changing its packages, so the package count is recounted one after the other.

    Raises :class:`GridWriteError` when the grid was deleted meanwhile.
    """
    if not lock_row(Grid, grid.id):
        db.session.rollback()
        raise GridWriteError("", GRID_GONE)


def _touch(grid: Grid) -> None:
    """The grid changed (its packages, features or cells): list it as recently updated."""
    grid.modified = utcnow()


def _recount(grid: Grid) -> None:
    grid.package_count = db.session.scalar(
        select(func.count()).select_from(GridPackage).where(GridPackage.grid_id == grid.id)) or 0


def _record_cell_deletions(condition, user: Any, summary: str) -> None:
    """One history entry per non-empty cell about to be deleted, so its text is kept.

    The same entries :func:`~webapp.history.services.record` makes, written in one go: one SELECT and one
    executemany INSERT whatever the number of cells.
    """
    rows = db.session.execute(
        select(Element.id, Element.text, GridPackage.package_id, GridPackage.grid_id)
        .join(GridPackage, GridPackage.id == Element.grid_package_id)
        .where(condition, Element.text != "")
    ).all()
    if rows:
        now = utcnow()
        db.session.execute(insert(Change), [
            {"object_type": "element", "object_id": row.id, "package_id": row.package_id, "grid_id": row.grid_id,
             "user_id": getattr(user, "id", None), "action": ChangeAction.DELETE, "field": "text",
             "old_value": row.text, "new_value": None, "summary": summary[:300], "created": now}
            for row in rows
        ])


# -- grids ------------------------------------------------------------------------------------------------------


def slug_taken(slug: str, *, by_other_than: int | None = None) -> bool:
    """True when a grid has this address, or had it before a rename (its old URLs still lead to it).

    ``by_other_than``: a grid's id whose own current and former addresses do not count.
    """
    current = select(Grid.id).where(Grid.slug == slug)
    former = select(GridOldSlug.grid_id).where(GridOldSlug.slug == slug)
    if by_other_than is not None:
        current = current.where(Grid.id != by_other_than)
        former = former.where(GridOldSlug.grid_id != by_other_than)
    return db.session.scalar(select(current.exists() | former.exists())) is True


def create_grid(user: Any, *, title: str, slug: str, description: str = "") -> Grid:
    """A new, unlocked, empty grid; raises :class:`GridWriteError` when the slug is taken."""
    if slug_taken(slug):
        raise GridWriteError("slug", "A grid with this address already exists. Choose another.")
    grid = Grid(title=title, slug=slug, description=description, created_by_id=getattr(user, "id", None),
                package_count=0, revision=1)
    db.session.add(grid)
    try:
        record(grid, user, action=ChangeAction.CREATE, field="title", new=title, summary=f"Created grid “{title}”")
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # someone took the slug between our check and our insert
        raise GridWriteError("slug", "A grid with this address already exists. Choose another.") from None
    return grid


SLUG_TAKEN = "A grid with this address already exists (or had it before). Choose another."


def update_grid(grid: Grid, user: Any, *, revision: int | None, title: str, description: str,
                slug: str | None = None) -> list:
    """Save the grid's title, description and (when given) address; raises ``StaleEdit`` if the grid changed
    since ``revision`` and :class:`GridWriteError` when the new address is taken.

    The old address is kept: its URLs redirect to the new one (see :func:`webapp.grids.queries.renamed_to`).
    """
    values = {"title": title, "description": description}
    old_slug = grid.slug
    renamed = bool(slug) and slug != old_slug
    if renamed:
        if slug_taken(slug, by_other_than=grid.id):
            raise GridWriteError("slug", SLUG_TAKEN)
        values["slug"] = slug
    changes = apply_changes(grid, user, values, summary="Edited the grid", revision=revision)
    if renamed:
        # Back to an address it had: that one no longer redirects; the one it leaves now does.
        db.session.execute(delete(GridOldSlug).where(GridOldSlug.slug == slug, GridOldSlug.grid_id == grid.id)
                           .execution_options(synchronize_session=False))
        db.session.add(GridOldSlug(slug=old_slug, grid_id=grid.id))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # someone took the address between our check and our write
        raise GridWriteError("slug", SLUG_TAKEN) from None
    return changes


def set_locked(grid: Grid, user: Any, locked: bool) -> list:
    """Lock (staff-only editing) or unlock a grid; raises ``StaleEdit`` if the grid changed since it was loaded."""
    changes = apply_changes(grid, user, {"is_locked": locked},
                            summary="Locked the grid" if locked else "Unlocked the grid")
    db.session.flush()
    return changes


def delete_grid(grid: Grid, user: Any) -> None:
    """Delete a grid with its features and cells; the history keeps a record of it.

    Raises :class:`GridWriteError` when someone deleted it a moment ago (their deletion is the one recorded).
    """
    _lock_grid(grid)
    record(grid, user, action=ChangeAction.DELETE, field="title", old=grid.title,
           summary=f"Deleted grid “{grid.title}” ({grid.slug})")
    grid_id = grid.id
    # Bulk deletes: a fixed number of statements whatever the size of the grid.
    member_ids = select(GridPackage.id).where(GridPackage.grid_id == grid_id).scalar_subquery()
    db.session.execute(delete(Element).where(Element.grid_package_id.in_(member_ids))
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(Feature).where(Feature.grid_id == grid_id).execution_options(synchronize_session=False))
    db.session.execute(delete(GridPackage).where(GridPackage.grid_id == grid_id)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(Grid).where(Grid.id == grid_id).execution_options(synchronize_session=False))
    db.session.expunge(grid)
    db.session.flush()


# -- packages in a grid -----------------------------------------------------------------------------------------


def add_package(grid: Grid, package: Package, user: Any) -> GridPackage:
    """Put ``package`` in ``grid``; raises :class:`GridWriteError` if it is already there or was removed."""
    if package.removed_at is not None:
        raise GridWriteError("package_id", "This package was removed from the site and cannot be added.")
    _lock_grid(grid)
    exists = db.session.scalar(select(GridPackage.id).where(GridPackage.grid_id == grid.id,
                                                            GridPackage.package_id == package.id))
    if exists is not None:
        db.session.rollback()
        raise GridWriteError("package_id", f"{package.title} is already in this grid.")
    member = GridPackage(grid_id=grid.id, package_id=package.id, added_by_id=getattr(user, "id", None))
    db.session.add(member)
    try:
        record(member, user, action=ChangeAction.CREATE, field="package", new=package.title,
               summary=f"Added {package.title} to the grid")
    except IntegrityError:
        db.session.rollback()
        raise GridWriteError("package_id", f"{package.title} is already in this grid.") from None
    _recount(grid)
    _touch(grid)
    db.session.flush()
    return member


def remove_package(grid: Grid, member: GridPackage, user: Any) -> None:
    """Take a package out of a grid, with its cells; each non-empty cell's text stays in the history.

    Raises :class:`GridWriteError` when the grid was deleted or the package taken out a moment ago.
    """
    package = member.package
    _lock_grid(grid)
    if not lock_row(GridPackage, member.id):
        db.session.rollback()
        raise GridWriteError("", f"{package.title} was taken out of this grid a moment ago.")
    _record_cell_deletions(Element.grid_package_id == member.id, user, f"Removed with {package.title}")
    record(member, user, action=ChangeAction.DELETE, field="package", old=package.title,
           summary=f"Removed {package.title} from the grid")
    db.session.execute(delete(Element).where(Element.grid_package_id == member.id)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(GridPackage).where(GridPackage.id == member.id)
                       .execution_options(synchronize_session=False))
    db.session.expunge(member)
    _recount(grid)
    _touch(grid)
    db.session.flush()


# -- features ---------------------------------------------------------------------------------------------------


def add_feature(grid: Grid, user: Any, *, title: str, description: str = "") -> Feature:
    """A new feature row at the bottom of the grid."""
    feature = Feature(grid_id=grid.id, title=title, description=description, revision=1)
    db.session.add(feature)
    record(feature, user, action=ChangeAction.CREATE, field="title", new=title, summary=f"Added feature “{title}”")
    _touch(grid)
    db.session.flush()
    return feature


def update_feature(feature: Feature, grid: Grid, user: Any, *, revision: int | None, title: str,
                   description: str) -> list:
    """Save a feature's title and description; raises ``StaleEdit`` if it changed since ``revision``."""
    changes = apply_changes(feature, user, {"title": title, "description": description},
                            summary="Edited a feature", revision=revision)
    if changes:
        _touch(grid)
    db.session.flush()
    return changes


def delete_feature(feature: Feature, grid: Grid, user: Any) -> None:
    """Delete a feature row and its cells; the history keeps the row's title and each cell's text.

    Raises :class:`GridWriteError` when someone deleted it a moment ago (their deletion is the one recorded).
    """
    if not lock_row(Feature, feature.id):
        db.session.rollback()
        raise GridWriteError("", "This feature was deleted a moment ago.")
    _record_cell_deletions(Element.feature_id == feature.id, user, f"Removed with feature “{feature.title}”")
    record(feature, user, action=ChangeAction.DELETE, field="title", old=feature.title,
           summary=f"Deleted feature “{feature.title}”")
    db.session.execute(delete(Element).where(Element.feature_id == feature.id)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(Feature).where(Feature.id == feature.id).execution_options(synchronize_session=False))
    db.session.expunge(feature)
    _touch(grid)
    db.session.flush()


# -- cells ------------------------------------------------------------------------------------------------------


def save_cell(grid: Grid, member: GridPackage, feature: Feature, element: Element | None, user: Any, *,
              text: str, revision: int | None) -> Element | None:
    """Create or update one cell.

    ``element`` is the cell as the caller loaded it (None when it does not exist) and ``revision`` what the
    editor loaded (0 or None for a cell that did not exist). Raises ``StaleEdit`` when someone saved the cell
    in between, including creating it. Returns the saved cell, or None when an empty new cell was left empty.
    """
    if element is None:
        if revision not in (None, 0):
            # The editor loaded a cell that has since gone (its row or column was deleted and re-added).
            raise StaleEdit(Element(id=0, text="", revision=0), revision)
        if not text:
            return None
        element = Element(grid_package_id=member.id, feature_id=feature.id, text=text, revision=1)
        db.session.add(element)
        try:
            record(element, user, action=ChangeAction.CREATE, field="text", new=text,
                   summary=f"{member.package.title} · {feature.title}")
        except IntegrityError:
            db.session.rollback()  # created by someone else a moment ago: their text wins until merged
            existing = db.session.scalar(select(Element).where(Element.grid_package_id == member.id,
                                                               Element.feature_id == feature.id))
            raise StaleEdit(existing if existing is not None else Element(id=0, text="", revision=0), 0) from None
        _touch(grid)
        db.session.flush()
        return element
    changes = apply_changes(element, user, {"text": text}, summary=f"{member.package.title} · {feature.title}",
                            revision=revision)
    if changes:
        _touch(grid)
    db.session.flush()
    return element


# -- what the catalogue announces -------------------------------------------------------------------------------


def connect_signals() -> None:
    """Answer the catalogue (:mod:`webapp.signals`): whether a package is gridded by others, and its deletion."""
    package_claim_asked.connect(_on_package_claim_asked)
    package_deleting.connect(_on_package_deleting)


def _on_package_claim_asked(_sender, *, package_id: int, creator_id: int | None):
    return gridded_by_others(package_id, creator_id)


def _on_package_deleting(_sender, *, package: Package, user: Any) -> None:
    """The package leaves every grid (the database deletes the rows with it): recount and record each."""
    members = list(db.session.scalars(select(GridPackage).where(GridPackage.package_id == package.id)))
    if not members:
        return
    grids = {grid.id: grid for grid in db.session.scalars(
        select(Grid).where(Grid.id.in_([member.grid_id for member in members])))}
    # Counted down in SQL: a package added to the grid at the same moment is not lost from the count.
    db.session.execute(update(Grid).where(Grid.id.in_(list(grids))).values(
        package_count=case((Grid.package_count > 0, Grid.package_count - 1), else_=0), modified=utcnow())
        .execution_options(synchronize_session=False))
    for member in members:
        record(member, user, action=ChangeAction.DELETE,
               summary=f"{package.title} was deleted, so it left {grids[member.grid_id].title}")
