"""Staff writes: categories, the home page, the banner, people, and rolling back a person's edits.

Every write is recorded in the history and flushed; the unit of work (the request) commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from webapp.accounts.models import User
from webapp.catalog import services as catalog_services
from webapp.catalog.models import Category, Package
from webapp.db_types import utcnow
from webapp.domain_errors import DomainError, FieldError
from webapp.extensions import db
from webapp.grids import services as grid_services
from webapp.grids.models import Element, Feature, Grid, GridPackage
from webapp.history import services as history
from webapp.history.models import Change, ChangeAction, model_for
from webapp.staff.banner import publish_banner_state
from webapp.staff.models import Banner, FeaturedGrid, FeaturedPackage


class StaffError(FieldError):
    """A staff write that cannot be done; ``field`` names the form field ("" for the form)."""


# -- categories -------------------------------------------------------------------------------------------------


def create_category(user: Any, *, title: str, slug: str, description: str = "") -> Category:
    """A new category at the end of the list; raises :class:`StaffError` for a taken slug."""
    if db.session.scalar(select(Category.id).where(Category.slug == slug)) is not None:
        raise StaffError("slug", "A category with this address already exists.")
    last = db.session.scalar(select(func.max(Category.position))) or 0
    category = Category(title=title, slug=slug, title_plural=title, description=description, position=last + 1)
    db.session.add(category)
    history.record(category, user, action=ChangeAction.CREATE, field="title", new=title,
                   summary=f"Created category “{title}”")
    db.session.flush()
    return category


def update_category(category: Category, user: Any, *, title: str, description: str) -> list[Change]:
    """Rename or describe a category (recorded per field, revertible from the history)."""
    values = {"title": title, "description": description}
    if category.title_plural in ("", category.title):
        values["title_plural"] = title
    changes = history.apply_changes(category, user, values, summary=f"Edited category “{title}”")
    db.session.flush()
    return changes


def move_category(category: Category, user: Any, direction: int) -> None:
    """Move a category one place up (``-1``) or down (``+1``) in the list: positions are renumbered 1..n."""
    ordered = list(db.session.scalars(select(Category).order_by(Category.position, Category.title, Category.id)))
    index = next(i for i, item in enumerate(ordered) if item.id == category.id)
    target = index + direction
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, item in enumerate(ordered, start=1):
        if item.position != position:
            history.apply_changes(item, user, {"position": position}, summary="Reordered the categories")
    db.session.flush()


def merge_categories(source: Category, target: Category, user: Any) -> int:
    """Move every package of ``source`` into ``target`` and delete ``source``; returns how many moved.

    One UPDATE moves the packages; the counter triggers (webapp/counters.py) move each package's count from the
    old category to the new one, whoever else writes at the same moment. Each moved package gets a history entry.
    """
    if source.id == target.id:
        raise StaffError("target", "Choose another category to merge into.")
    moved = list(db.session.execute(select(Package.id, Package.title).where(Package.category_id == source.id)))
    db.session.execute(update(Package).where(Package.category_id == source.id)
                       .values(category_id=target.id, revision=Package.revision + 1)
                       .execution_options(synchronize_session=False))
    if moved:
        now = utcnow()
        db.session.execute(Change.__table__.insert(), [
            {"object_type": "package", "object_id": row.id, "package_id": row.id, "grid_id": None,
             "user_id": getattr(user, "id", None), "action": ChangeAction.UPDATE, "field": "category_id",
             "old_value": str(source.id), "new_value": str(target.id),
             "summary": f"Category “{source.title}” merged into “{target.title}”", "created": now}
            for row in moved
        ])
    history.record(source, user, action=ChangeAction.DELETE, field="title", old=source.title,
                   summary=f"Merged category “{source.title}” into “{target.title}” ({len(moved)} packages)")
    db.session.flush()
    db.session.execute(delete(Category).where(Category.id == source.id).execution_options(synchronize_session=False))
    db.session.expunge(source)
    db.session.expire(target)
    db.session.flush()
    return len(moved)


# -- the home page ----------------------------------------------------------------------------------------------


def feature_grid(grid: Grid, user: Any) -> FeaturedGrid:
    """Put ``grid`` on the home page, after the grids already there."""
    existing = db.session.scalar(select(FeaturedGrid).where(FeaturedGrid.grid_id == grid.id))
    if existing is not None:
        raise StaffError("grid", f"{grid.title} is already featured.")
    last = db.session.scalar(select(func.max(FeaturedGrid.position))) or 0
    featured = FeaturedGrid(grid_id=grid.id, position=last + 1)
    db.session.add(featured)
    history.record(featured, user, action=ChangeAction.CREATE, field="grid_id", new=grid.id,
                   summary=f"Featured grid “{grid.title}” on the home page")
    db.session.flush()
    return featured


def unfeature_grid(featured: FeaturedGrid, user: Any) -> None:
    """Take a grid off the home page."""
    history.record(featured, user, action=ChangeAction.DELETE, field="grid_id", old=featured.grid_id,
                   summary=f"Took grid “{featured.grid.title}” off the home page")
    db.session.delete(featured)
    db.session.flush()


def move_featured_grid(featured: FeaturedGrid, direction: int) -> None:
    """Move a featured grid one place earlier (``-1``) or later (``+1``)."""
    ordered = list(db.session.scalars(select(FeaturedGrid).order_by(FeaturedGrid.position, FeaturedGrid.id)))
    index = next(i for i, item in enumerate(ordered) if item.id == featured.id)
    target = index + direction
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, item in enumerate(ordered, start=1):
        item.position = position
    db.session.flush()


def feature_package(package: Package, user: Any, note: str = "") -> FeaturedPackage:
    """Make ``package`` the home page's featured package (replacing the one before)."""
    if package.removed_at is not None:
        raise StaffError("package", "This package was removed by the moderators.")
    for previous in db.session.scalars(select(FeaturedPackage)):
        history.record(previous, user, action=ChangeAction.DELETE, field="package_id", old=previous.package_id,
                       summary="Replaced the featured package")
        db.session.delete(previous)
    db.session.flush()
    featured = FeaturedPackage(package_id=package.id, note=note)
    db.session.add(featured)
    history.record(featured, user, action=ChangeAction.CREATE, field="package_id", new=package.id,
                   summary=f"Featured {package.title} on the home page")
    db.session.flush()
    return featured


def unfeature_package(user: Any) -> None:
    """No featured package on the home page."""
    for previous in db.session.scalars(select(FeaturedPackage)):
        history.record(previous, user, action=ChangeAction.DELETE, field="package_id", old=previous.package_id,
                       summary="Took the featured package off the home page")
        db.session.delete(previous)
    db.session.flush()


# -- the banner -------------------------------------------------------------------------------------------------


def post_banner(user: Any, *, text: str, link: str, ends_at: datetime) -> Banner:
    """Show ``text`` (linking to ``link``, if any) on every page until ``ends_at``; replaces the current banner."""
    now = utcnow()
    if ends_at <= now:
        raise StaffError("ends_at", "The end date must be in the future.")
    _end_current(user, now)
    banner = Banner(text=text, link=link, ends_at=ends_at, created_by_id=getattr(user, "id", None))
    db.session.add(banner)
    history.record(banner, user, action=ChangeAction.CREATE, field="text", new=text,
                   summary=f"Site banner until {ends_at:%Y-%m-%d %H:%M} UTC")
    db.session.flush()
    publish_banner_state(banner)
    return banner


def end_banner(user: Any) -> bool:
    """End the current banner now; False when none was showing."""
    ended = _end_current(user, utcnow())
    db.session.flush()
    publish_banner_state(None)
    return ended


def _end_current(user: Any, now: datetime) -> bool:
    current = list(db.session.scalars(select(Banner).where(Banner.ends_at > now)))
    for banner in current:
        history.apply_changes(banner, user, {"ends_at": now}, summary="Ended the site banner")
    return bool(current)


# -- people -----------------------------------------------------------------------------------------------------


def set_staff(person: User, user: Any, staff: bool) -> list[Change]:
    """Make ``person`` staff or not (never oneself: someone else must remove your staff rights)."""
    if person.id == getattr(user, "id", None):
        raise StaffError("", "You cannot change your own staff rights.")
    if staff and person.blocked_at is not None:
        raise StaffError("", f"Unblock {person.username} before making them staff.")
    changes = history.apply_changes(person, user, {"is_staff": staff},
                                    summary=f"{'Made' if staff else 'Removed'} {person.username} staff")
    db.session.flush()
    return changes


def set_blocked(person: User, user: Any, blocked: bool) -> list[Change]:
    """Block ``person`` from editing (they still read) or unblock them. Staff are not blocked: remove their
    staff rights first."""
    if person.id == getattr(user, "id", None):
        raise StaffError("", "You cannot block yourself.")
    if blocked and person.is_staff:
        raise StaffError("", f"{person.username} is staff: remove their staff rights before blocking them.")
    if blocked == (person.blocked_at is not None):
        return []
    changes = history.apply_changes(person, user, {"blocked_at": utcnow() if blocked else None},
                                    summary=f"{'Blocked' if blocked else 'Unblocked'} {person.username}")
    db.session.flush()
    return changes


# -- rolling back a person's edits ------------------------------------------------------------------------------


@dataclass
class RollbackReport:
    """What a rollback did: the changes undone, and those left alone with the reason."""

    undone: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def rollback_person(person: User, since: datetime, user: Any) -> RollbackReport:
    """Undo every edit ``person`` made since ``since``, newest first, each undo recorded (and itself revertible
    where it puts a field back).

    A field change is reverted through the history (:func:`webapp.history.services.revert_change_in_savepoint`);
    an added feature, grid column, package or grid is deleted; a new cell is emptied. A change somebody else has
    edited over since, or already reverted, is left alone and reported.
    """
    report = RollbackReport()
    changes = list(db.session.scalars(
        select(Change).where(Change.user_id == person.id, Change.created >= since).order_by(Change.id.desc())))
    if not changes:
        return report
    ids = [change.id for change in changes]
    reverted = set(db.session.scalars(select(Change.reverts_id).where(Change.reverts_id.in_(ids))))
    for change in changes:
        if change.id in reverted:
            report.skipped.append((change.id, "already reverted"))
            continue
        try:
            reason = _undo(change, person, user)
        except DomainError as error:
            reason = error.message
        if reason:
            report.skipped.append((change.id, reason))
        else:
            report.undone.append(change.id)
    db.session.flush()
    return report


def _later_edit_by_someone_else(change: Change, person: User) -> str | None:
    """The name of whoever first changed the same field (for an addition: the same object) after ``change``, other
    than ``person``, if anyone did."""
    statement = (select(Change.user_id, User.username).outerjoin(User, User.id == Change.user_id)
                 .where(Change.object_type == change.object_type, Change.object_id == change.object_id,
                        Change.id > change.id, Change.user_id.is_distinct_from(person.id)))
    if change.action != ChangeAction.CREATE:
        statement = statement.where(Change.field == change.field)
    later = db.session.execute(statement.order_by(Change.id).limit(1)).first()
    if later is None:
        return None
    return later.username or "the fetch service"


def _superseded(change: Change, person: User) -> str:
    who = _later_edit_by_someone_else(change, person)
    return f"changed again since by {who}" if who else "changed again since"


def _undo(change: Change, person: User, user: Any) -> str | None:
    """Undo one change; the reason it was left alone, or None when it was undone."""
    if change.action in (ChangeAction.UPDATE, ChangeAction.REVERT) and change.field:
        return _undo_field(change, person, user)
    if change.action == ChangeAction.CREATE:
        return _undo_creation(change, person, user)
    return "deletions and moderation decisions are not undone here"


def _current(change: Change) -> tuple[Any, str | None, bool]:
    """(the object, its field's current value as stored in the history, whether the object still exists)."""
    model = model_for(change.object_type)
    obj = db.session.get(model, change.object_id) if model is not None else None
    if obj is None or not change.field or change.field not in obj.__table__.columns:
        return obj, None, obj is not None
    return obj, history.as_text(getattr(obj, change.field)), True


def _undo_field(change: Change, person: User, user: Any) -> str | None:
    obj, current, exists = _current(change)
    if not exists:
        return "the object is gone"
    if current != change.new_value:
        return _superseded(change, person)
    history.revert_change_in_savepoint(change, user)
    return None


def _undo_creation(change: Change, person: User, user: Any) -> str | None:
    obj, current, exists = _current(change)
    if not exists:
        return "already deleted"
    if _later_edit_by_someone_else(change, person):
        return _superseded(change, person)
    if isinstance(obj, Element):
        if current != change.new_value:
            return _superseded(change, person)
        history.claim_revision(obj, obj.revision)
        obj.text = ""
        obj.revision = (obj.revision or 0) + 1
        obj.modified = utcnow()
        history.record(obj, user, action=ChangeAction.REVERT, field="text", old=change.new_value, new="",
                       summary=f"Rolled back change #{change.id}", reverts=change)
    elif isinstance(obj, Feature):
        grid_services.delete_feature(obj, obj.grid, user)
    elif isinstance(obj, GridPackage):
        grid_services.remove_package(obj.grid, obj, user)
    elif isinstance(obj, Package):
        catalog_services.delete_package(obj, user)
    elif isinstance(obj, Grid):
        grid_services.delete_grid(obj, user)
    else:
        return "this kind of addition is not undone here"
    db.session.flush()
    return None
