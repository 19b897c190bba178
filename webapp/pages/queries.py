"""Reads for the small pages: a fixed number of queries each."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import joinedload

from webapp import counters
from webapp.catalog.models import Package, Version
from webapp.catalog.queries import visible_packages
from webapp.extensions import db
from webapp.grids.models import Grid, GridPackage
from webapp.pagination import Page, paginate


def latest_page(page: int, per_page: int) -> Page:
    """A page of the newest listed packages: two queries (the page, and the stored count of listed packages)."""
    total = counters.read("packages")["packages"]
    statement = (visible_packages().options(joinedload(Package.category), joinedload(Package.current_release))
                 .order_by(Package.created.desc(), Package.id.desc()))
    return paginate(statement, page, per_page, total=total)


@dataclass(frozen=True)
class Releases:
    package: Package
    releases: list[Version]


def package_releases(slug: str) -> Releases | None:
    """A package and every release it has shown (hidden ones left out), newest first: two queries."""
    package = db.session.scalar(select(Package).where(Package.slug == slug)
                                .options(joinedload(Package.current_release)))
    if package is None:
        return None
    releases = list(db.session.scalars(
        select(Version).where(Version.package_id == package.id, Version.hidden.is_(False))
        .order_by(Version.upload_time.desc().nulls_last(), Version.id.desc())))
    return Releases(package=package, releases=releases)


def package_by_slug(slug: str) -> Package | None:
    return db.session.scalar(select(Package).where(Package.slug == slug))


def grids_to_add_to(package_id: int, include_locked: bool) -> list[Grid]:
    """The grids ``package_id`` is not in yet, by title (locked ones only for staff): one query."""
    statement = (select(Grid).where(~select(GridPackage.id).where(GridPackage.grid_id == Grid.id,
                                                                 GridPackage.package_id == package_id).exists())
                 .order_by(Grid.title, Grid.id))
    if not include_locked:
        statement = statement.where(Grid.is_locked.is_(False))
    return list(db.session.scalars(statement))


def grid_by_slug(slug: str) -> Grid | None:
    return db.session.scalar(select(Grid).where(Grid.slug == slug))


def database_answers() -> bool:
    """True when the database runs a trivial query."""
    return db.session.execute(text("SELECT 1")).scalar_one() == 1
