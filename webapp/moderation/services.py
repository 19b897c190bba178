"""Staff decisions on flags: approve (the package leaves lists and grids) or dismiss. Both are recorded.

A decision is the flag's transition out of ``open``, made by a conditional ``UPDATE ... WHERE status = 'open'``:
of two staff deciding on one flag at the same moment exactly one takes effect and is recorded; the other is
told the flag was already decided.
"""

from __future__ import annotations

from sqlalchemy import select, update

from webapp.catalog.models import Flag, FlagStatus, Package
from webapp.db_types import utcnow
from webapp.domain_errors import DomainError
from webapp.extensions import db
from webapp.history import services as history
from webapp.history.models import ChangeAction

REASON_MAX = 1000


class ModerationError(DomainError):
    """A decision that cannot be taken; the message says why."""


def _open_flag(flag_id: int) -> Flag:
    flag = db.session.scalar(select(Flag).where(Flag.id == flag_id).execution_options(populate_existing=True))
    if flag is None:
        raise LookupError(flag_id)
    if flag.status != FlagStatus.OPEN:
        raise ModerationError(f"Flag #{flag.id} was already {flag.status}.")
    return flag


def _close(flag: Flag, status: FlagStatus, staff) -> None:
    """Move ``flag`` from open to ``status``, or raise :class:`ModerationError` if someone decided it first."""
    flag_id = flag.id
    result = db.session.execute(
        update(Flag).where(Flag.id == flag_id, Flag.status == FlagStatus.OPEN)
        .values(status=status, resolved_by_id=staff.id, resolved_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        decided = db.session.get(Flag, flag_id)
        raise ModerationError(f"Flag #{flag_id} was already {decided.status if decided else 'handled'}.")


def approve(flag_id: int, staff, reason: str = "") -> Package:
    """Remove the flagged package from lists and grids, saying why; close every open flag on it.

    ``reason`` is what the package page shows (default: the flag's reason). The removal is recorded as
    field changes, so staff can revert it from the package's history.
    """
    flag = _open_flag(flag_id)
    # The package's row first, then the flags: two approvals of different flags on one package queue up
    # on the package instead of deadlocking on each other's flags.
    history.lock_row(Package, flag.package_id)
    _close(flag, FlagStatus.APPROVED, staff)
    # Read after the locks: on SQLite the first write of the transaction is what makes its reads current.
    package = db.session.scalar(select(Package).where(Package.id == flag.package_id)
                                .execution_options(populate_existing=True))
    now = utcnow()
    if package.removed_at is None:
        text = (reason or "").strip()[:REASON_MAX] or flag.reason
        history.apply_changes(package, staff, {"removed_at": now, "removed_reason": text},
                              summary=f"Flag #{flag.id} approved: removed from lists and grids")
    db.session.execute(
        update(Flag).where(Flag.package_id == package.id, Flag.status == FlagStatus.OPEN)
        .values(status=FlagStatus.APPROVED, resolved_by_id=staff.id, resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return package


def dismiss(flag_id: int, staff) -> Flag:
    """Close a flag without acting on the package; the history of the package says so."""
    flag = _open_flag(flag_id)
    _close(flag, FlagStatus.DISMISSED, staff)
    package = db.session.get(Package, flag.package_id)
    history.record(package, staff, action=ChangeAction.DISMISS, summary=f"Flag #{flag.id} dismissed: the package stays")
    db.session.flush()
    return flag
