"""Comparison grids: packages side by side, with community-written feature rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db_types import UTCDateTime, utcnow
from webapp.extensions import db


class Grid(db.Model):
    __tablename__ = "grids"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
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
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1)

    grid_package: Mapped[GridPackage] = relationship(back_populates="elements")
    feature: Mapped[Feature] = relationship(back_populates="elements")
