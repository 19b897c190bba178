"""Comparison grids: packages side by side, with community-written feature rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db_types import UTCDateTime, utcnow
from webapp.extensions import db
from webapp.rendering import rendered_from


class Grid(db.Model):
    __tablename__ = "grids"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="", server_default="",
                                                  info=rendered_from("description", "markdown"))
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    header: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    package_count: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    grid_packages: Mapped[list[GridPackage]] = relationship(
        back_populates="grid", cascade="all, delete-orphan", order_by="GridPackage.id"
    )
    features: Mapped[list[Feature]] = relationship(
        back_populates="grid", cascade="all, delete-orphan", order_by="Feature.id"
    )
    created_by = relationship("User")

    def __repr__(self) -> str:
        return f"<Grid {self.slug}>"


# The orders the grid list offers (webapp.grids.queries.GRID_SORTS), each read from its own index.
GRID_LIST_ORDERS = {
    "popular": lambda: [Grid.package_count.desc(), Grid.title],
    "title": lambda: [func.lower(Grid.title), Grid.id],
    "newest": lambda: [Grid.created.desc(), Grid.id.desc()],
    "updated": lambda: [Grid.modified.desc(), Grid.id.desc()],
}
for _key, _order in GRID_LIST_ORDERS.items():
    Index(f"ix_grids_by_{_key}", *_order())


class GridPackage(db.Model):
    __tablename__ = "grid_packages"
    __table_args__ = (UniqueConstraint("grid_id", "package_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"))
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    grid: Mapped[Grid] = relationship(back_populates="grid_packages")
    package = relationship("Package")
    elements: Mapped[list[Element]] = relationship(back_populates="grid_package", cascade="all, delete-orphan")


class Feature(db.Model):
    """A row of a grid: one question asked of every package in it."""

    __tablename__ = "features"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="", server_default="",
                                                  info=rendered_from("description", "markdown_inline"))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    grid: Mapped[Grid] = relationship(back_populates="features")
    elements: Mapped[list[Element]] = relationship(back_populates="feature", cascade="all, delete-orphan")


class Element(db.Model):
    """One cell of a grid: what the community says about a package for a feature."""

    __tablename__ = "elements"
    __table_args__ = (UniqueConstraint("grid_package_id", "feature_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_package_id: Mapped[int] = mapped_column(ForeignKey("grid_packages.id", ondelete="CASCADE"))
    feature_id: Mapped[int] = mapped_column(ForeignKey("features.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    text_html: Mapped[str] = mapped_column(Text, default="", server_default="",
                                           info=rendered_from("text", "cell"))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    grid_package: Mapped[GridPackage] = relationship(back_populates="elements")
    feature: Mapped[Feature] = relationship(back_populates="elements")


class GridOldSlug(db.Model):
    """An address a grid had before it was renamed: its old URLs redirect (301) to the current one."""

    __tablename__ = "grid_old_slugs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"), index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
