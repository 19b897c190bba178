"""Staff decisions on flags: approve (the package leaves lists and grids) or dismiss. Both are recorded."""

from __future__ import annotations

from sqlalchemy import select, update

from webapp.catalog.models import Flag, Package
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.history import services as history

REASON_MAX = 1000


class ModerationError(Exception):
    """A decision that cannot be taken; the message says why."""


def _open_flag(flag_id: int) -> Flag:
    flag = db.session.scalar(select(Flag).where(Flag.id == flag_id).with_for_update()
                             .execution_options(populate_existing=True))
    if flag is None:
        raise LookupError(flag_id)
    if flag.status != "open":
        raise ModerationError(f"Flag #{flag.id} was already {flag.status}.")
    return flag


def approve(flag_id: int, staff, reason: str = "") -> Package:
    """Remove the flagged package from lists and grids, saying why; close every open flag on it. Commits.

    ``reason`` is what the package page shows (default: the flag's reason). The removal is recorded as
    field changes, so staff can revert it from the package's history.
    """
    flag = _open_flag(flag_id)
    package = db.session.scalar(select(Package).where(Package.id == flag.package_id).with_for_update()
                                .execution_options(populate_existing=True))
    now = utcnow()
    if package.removed_at is None:
        text = (reason or "").strip()[:REASON_MAX] or flag.reason
        history.apply_changes(package, staff, {"removed_at": now, "removed_reason": text},
                              summary=f"Flag #{flag.id} approved: removed from lists and grids")
    db.session.execute(
        update(Flag).where(Flag.package_id == package.id, Flag.status == "open")
        .values(status="approved", resolved_by_id=staff.id, resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return package


def dismiss(flag_id: int, staff) -> Flag:
    """Close a flag without acting on the package; the history of the package says so. Commits."""
    flag = _open_flag(flag_id)
    flag.status, flag.resolved_by_id, flag.resolved_at = "dismissed", staff.id, utcnow()
    package = db.session.get(Package, flag.package_id)
    history.record(package, staff, action="dismiss", summary=f"Flag #{flag.id} dismissed: the package stays")
    db.session.commit()
    return flag
