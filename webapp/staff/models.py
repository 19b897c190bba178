"""What staff choose for the whole site: the home page's featured grids and package, and the site banner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db_types import UTCDateTime, utcnow
from webapp.extensions import db


class Banner(db.Model):
    """A message shown at the top of every page until ``ends_at``. A banner is never edited: a new text is a new
    banner, and ending one early sets its ``ends_at`` to now, so its id and end say everything a cached page
    needs to know (webapp/staff/banner.py)."""

    __tablename__ = "banners"
    __table_args__ = (Index("ix_banners_ends_at", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(300))
    link: Mapped[str] = mapped_column(String(500), default="")
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    created_by = relationship("User")


class FeaturedGrid(db.Model):
    """A grid staff put on the home page, in ``position`` order."""

    __tablename__ = "featured_grids"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    grid = relationship("Grid")


class FeaturedPackage(db.Model):
    """The package staff put on the home page (at most one row), with a line saying why."""

    __tablename__ = "featured_packages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), unique=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    package = relationship("Package")
