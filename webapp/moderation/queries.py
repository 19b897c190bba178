"""Reads for the moderation queue: a fixed number of queries whatever the number of flags."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp.catalog.models import Flag, FlagStatus
from webapp.extensions import db
from webapp.pagination import Page, paginate

RESOLVED_LIMIT = 20


@dataclass(frozen=True)
class Queue:
    open: Page
    resolved: list[Flag]


def queue(page: int = 1, per_page: int = 50) -> Queue:
    """Open flags, oldest first (a page of them), and the latest resolved ones: three queries."""
    open_flags = paginate(
        select(Flag).where(Flag.status == FlagStatus.OPEN)
        .options(joinedload(Flag.package), joinedload(Flag.user))
        .order_by(Flag.created, Flag.id),
        page, per_page,
    )
    resolved = list(db.session.scalars(
        select(Flag).where(Flag.status != FlagStatus.OPEN)
        .options(joinedload(Flag.package), joinedload(Flag.user), joinedload(Flag.resolved_by))
        .order_by(Flag.resolved_at.desc().nulls_last(), Flag.id.desc()).limit(RESOLVED_LIMIT)
    ))
    return Queue(open=open_flags, resolved=resolved)
