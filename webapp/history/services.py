"""Recording changes and reverting them.

Every write to a package, grid, feature or cell goes through :func:`apply_changes`, which sets the new
values, bumps the object's revision (so a stale form is detected) and records one :class:`Change` per
field. Staff revert a recorded field change with :func:`revert_change`; the revert is recorded too.

Every write to a versioned object (a model with a ``revision`` column, see :func:`versioned_models`) first
claims the revision it was made from with :func:`claim_revision`, a conditional ``UPDATE ... WHERE revision =
:seen`` the database evaluates under its write lock, so of two simultaneous saves from one revision exactly
one wins, on SQLite (where ``SELECT ... FOR UPDATE`` does nothing) as on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, inspect, update
from sqlalchemy.exc import IntegrityError

from webapp.db_types import UTCDateTime, utcnow
from webapp.domain_errors import DomainError
from webapp.extensions import db
from webapp.history.models import GRID_TYPE, PACKAGE_TYPE, Change, ChangeAction, model_for, type_of_model
from webapp.signals import announce, change_reverted


class StaleEdit(Exception):
    """The object was saved by someone else after the editor loaded it."""

    def __init__(self, obj: Any, submitted_revision: int) -> None:
        super().__init__(f"{type(obj).__name__} {obj.id} is at revision {obj.revision}, not {submitted_revision}")
        self.obj = obj
        self.submitted_revision = submitted_revision


class RevertError(DomainError):
    """A change that cannot be reverted; the message says why."""


def object_type_of(obj: Any) -> str:
    """The ``object_type`` the history stores for ``obj``: its table's name in the singular."""
    name = type_of_model(type(obj))
    if name is None:
        raise TypeError(f"no history for {type(obj).__name__}")
    return name


def as_text(value: Any) -> str | None:
    """How a value is stored in the history."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def from_text(model: type, field: str, value: str | None) -> Any:
    """Turn a stored history value back into the column's Python type."""
    column = model.__table__.columns[field]
    if value is None:
        return None
    if isinstance(column.type, Boolean):
        return value == "true"
    if isinstance(column.type, Integer):
        return int(value)
    if isinstance(column.type, UTCDateTime):
        return datetime.fromisoformat(value)
    return value


def _as_revision(value: int | str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def check_revision(obj: Any, submitted_revision: int | str | None) -> None:
    """Refuse a save made from a form that loaded an older revision (as far as this session knows)."""
    submitted = _as_revision(submitted_revision)
    if submitted is None or submitted != obj.revision:
        raise StaleEdit(obj, submitted if submitted is not None else -1)


def is_versioned(model: type) -> bool:
    """True for a model with a ``revision`` column: its writes are claimed with :func:`claim_revision`."""
    table = getattr(model, "__table__", None)
    return table is not None and "revision" in table.columns


def versioned_models() -> list[type]:
    """Every mapped model with a ``revision`` column."""
    return sorted((mapper.class_ for mapper in db.Model.registry.mappers if is_versioned(mapper.class_)),
                  key=lambda model: model.__name__)


AS_LOADED: Any = object()  # claim the revision the object had when this session loaded it


def claim_revision(obj: Any, submitted_revision: int | str | None) -> None:
    """Take ``obj``'s row for this transaction if it is still at ``submitted_revision``; else raise StaleEdit.

    A comparison in Python is not enough: two requests read revision 3 at the same moment and both pass it.
    The conditional ``UPDATE ... WHERE revision = :seen`` is evaluated by the database under its write lock
    (the row lock on PostgreSQL, the database lock on SQLite), so the second save waits for the first and then
    matches no row. The claim writes nothing itself; the caller bumps the revision if it changes anything.
    On refusal the transaction is rolled back and the exception carries the object as it is now.
    """
    check_revision(obj, submitted_revision)
    submitted = _as_revision(submitted_revision)
    model = type(obj)
    result = db.session.execute(
        update(model).where(model.id == obj.id, model.revision == submitted).values(revision=submitted)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        current = db.session.get(model, obj.id)
        raise StaleEdit(current if current is not None else obj, submitted if submitted is not None else -1)


def lock_row(model: type, ident: int) -> bool:
    """Take the row of ``model`` with id ``ident`` for this transaction (a no-op UPDATE); False when it is gone.

    For writes that do not depend on a revision (deletes, recounts): the database serialises them, and the
    second of two simultaneous deletes learns that the row is gone instead of recording the deletion twice.
    """
    # Set a non-key column to itself: PostgreSQL then takes the weaker row lock that inserts referring to the
    # row (a grid's new feature) do not wait for.
    column = next(column for column in model.__table__.columns if not column.primary_key and not column.foreign_keys)
    result = db.session.execute(update(model).where(model.id == ident).values({column.name: column})
                                .execution_options(synchronize_session=False))
    return result.rowcount == 1


def where_listed(obj: Any) -> dict[str, int | None]:
    """The package and grid whose history pages list a change to ``obj``: a package's or grid's own page; for
    anything else, the package and grid it belongs to (a cell: those of its grid row)."""
    object_type = object_type_of(obj)
    if object_type == PACKAGE_TYPE:
        return {"package_id": obj.id, "grid_id": None}
    if object_type == GRID_TYPE:
        return {"package_id": None, "grid_id": obj.id}
    if hasattr(obj, "grid_package_id"):
        member_model = inspect(type(obj)).relationships["grid_package"].mapper.class_
        obj = obj.grid_package or db.session.get(member_model, obj.grid_package_id)
    return {"package_id": getattr(obj, "package_id", None), "grid_id": getattr(obj, "grid_id", None)}


def record(obj: Any, user: Any, *, action: ChangeAction, field: str = "", old: Any = None, new: Any = None,
           summary: str = "", reverts: Change | None = None) -> Change:
    """Add one history entry for ``obj`` to the session (the caller commits)."""
    db.session.flush()  # obj.id must exist
    change = Change(
        object_type=object_type_of(obj), object_id=obj.id, user_id=getattr(user, "id", None), action=action,
        field=field, old_value=as_text(old), new_value=as_text(new), summary=summary[:300],
        reverts_id=reverts.id if reverts else None, **where_listed(obj),
    )
    db.session.add(change)
    return change


def apply_changes(obj: Any, user: Any, values: dict[str, Any], *, summary: str = "",
                  revision: int | str | None = AS_LOADED) -> list[Change]:
    """Set ``values`` on ``obj``; record each field that really changed; bump revision and modified.

    A versioned ``obj`` is first claimed at ``revision`` (the revision the editor loaded; by default the one
    this session loaded): raises :class:`StaleEdit`, writing nothing, when someone saved it in between.
    Returns the recorded changes (empty when nothing changed). The caller commits.
    """
    if is_versioned(type(obj)):
        claim_revision(obj, obj.revision if revision is AS_LOADED else revision)
    changes = []
    for field, new in values.items():
        old = getattr(obj, field)
        if old == new:
            continue
        setattr(obj, field, new)
        changes.append(record(obj, user, action=ChangeAction.UPDATE, field=field, old=old, new=new, summary=summary))
    if changes:
        if hasattr(obj, "revision"):
            obj.revision = (obj.revision or 0) + 1
        if hasattr(obj, "modified"):
            obj.modified = utcnow()
        if hasattr(obj, "last_modified_by_id") and user is not None:
            obj.last_modified_by_id = user.id
    return changes


def revert_change(change: Change, user: Any) -> Change:
    """Put a field back to its value before ``change``, recorded as a "revert" change.

    Raises :class:`RevertError` when it cannot (the field changed again since, the object is gone, the old value
    is now taken by something else) and :class:`StaleEdit` when someone changed the object at the same moment;
    either way nothing is written (the unit of work is rolled back).
    """
    try:
        return _revert_change(change, user)
    except RevertError:
        db.session.rollback()
        raise
    except IntegrityError:  # e.g. putting back a slug that another package has taken since
        db.session.rollback()
        raise RevertError("This change cannot be reverted: the old value is now used by something else.") from None


def revert_change_in_savepoint(change: Change, user: Any) -> Change:
    """:func:`revert_change` inside a savepoint, for reverting many changes in one unit of work (staff rolling
    back a person's edits): a refusal (:class:`RevertError`) undoes only this revert, and what the unit of work
    did before stays. A simultaneous edit (:class:`StaleEdit`) still abandons the whole unit of work."""
    try:
        with db.session.begin_nested():
            return _revert_change(change, user)
    except IntegrityError:
        raise RevertError("This change cannot be reverted: the old value is now used by something else.") from None


def _revert_change(change: Change, user: Any) -> Change:
    if not change.changes_a_field:
        raise RevertError("Only changes to a field can be reverted.")
    model = model_for(change.object_type)
    obj = db.session.get(model, change.object_id) if model else None
    if obj is None:
        raise RevertError("The object this change belongs to no longer exists.")
    if is_versioned(model):
        claim_revision(obj, obj.revision)  # two staff reverting at once: the second sees the first's revert
    current = as_text(getattr(obj, change.field))
    if current != change.new_value:
        raise RevertError("This field was changed again after this change; revert the later change first.")
    old_value = from_text(model, change.field, change.old_value)
    setattr(obj, change.field, old_value)
    if hasattr(obj, "revision"):
        obj.revision = (obj.revision or 0) + 1
    if hasattr(obj, "modified"):
        obj.modified = utcnow()
    reverted = record(obj, user, action=ChangeAction.REVERT, field=change.field,
                      old=from_text(model, change.field, current), new=old_value,
                      summary=f"Reverted change #{change.id}", reverts=change)
    db.session.flush()  # a unique value put back collides here, where it can still be explained
    announce(change_reverted, obj=obj, field=change.field)
    return reverted
