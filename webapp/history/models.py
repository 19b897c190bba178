"""Recorded changes to packages, grids, features and cells."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db_types import EnumText, UTCDateTime, utcnow
from webapp.extensions import db


class ChangeAction(StrEnum):
    """What a recorded change did; the value is what the ``changes.action`` column stores."""

    CREATE = "create"
    UPDATE = "update"  # one field set to a new value
    DELETE = "delete"
    REVERT = "revert"  # one field put back to its value before an earlier change
    DISMISS = "dismiss"  # staff kept a flagged package


# The history sits below the domains whose objects it records, so it never imports their models: an object's
# type is its table's name in the singular ("packages" -> "package", "grid_packages" -> "grid_package"), and the
# model of a recorded change is found again in the mapper registry.
PACKAGE_TYPE = "package"
GRID_TYPE = "grid"


def type_of_model(model: type) -> str | None:
    """The ``object_type`` the history stores for objects of ``model``: its table's name in the singular."""
    table = getattr(model, "__tablename__", "")
    return table[:-1] if table.endswith("s") else None


def model_for(object_type: str) -> type | None:
    """The mapped model whose changes are stored as ``object_type``, or ``None``."""
    for mapper in db.Model.registry.mappers:
        if type_of_model(mapper.class_) == object_type:
            return mapper.class_
    return None


class Change(db.Model):
    """One field of one object changed by one person (or created, deleted, reverted)."""

    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_package", "package_id", "created"),
        Index("ix_changes_grid", "grid_id", "created"),
        Index("ix_changes_user", "user_id", "created"),
        Index("ix_changes_kind", "object_type", "id"),  # the recent changes filtered by kind (webapp/staff)
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[int] = mapped_column(Integer)
    # Where the change is listed: a package's history, a grid's history, or both.
    package_id: Mapped[int | None] = mapped_column(ForeignKey("packages.id", ondelete="SET NULL"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[ChangeAction] = mapped_column(EnumText(ChangeAction, 20), default=ChangeAction.UPDATE)
    field: Mapped[str] = mapped_column(String(50), default="")
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(String(300), default="")
    reverts_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id", ondelete="SET NULL"))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user = relationship("User")

    @property
    def changes_a_field(self) -> bool:
        """True for a change that set one field (an update or a revert): the kind staff can revert."""
        return self.action in (ChangeAction.UPDATE, ChangeAction.REVERT) and bool(self.field)
