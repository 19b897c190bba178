"""Read models for the API: every function runs a fixed number of queries, whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from webapp import counters
from webapp.accounts.models import User
from webapp.catalog.models import Category, Package
from webapp.extensions import db
from webapp.grids.models import Grid, GridPackage
from webapp.search.queries import plan, search_grids, search_packages

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class Window:
    """One slice of a listing: its items and how many there are in all."""

    items: list[Any]
    total: int
    limit: int
    offset: int


def _window(statement: Select, limit: int, offset: int, total: int | None = None) -> Window:
    """Two queries: the total, then the slice; one when the total is known (a stored counter)."""
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    items = list(db.session.scalars(statement.limit(limit).offset(offset)).unique())
    return Window(items=items, total=total, limit=limit, offset=offset)


def _stored(name: str) -> int:
    """A whole-table count the database keeps (webapp/counters.py): no scan per request."""
    return counters.read(name)[name]


def listed_packages() -> Select:
    """Packages the API shows: every package moderation has not removed, with its current release."""
    return select(Package).where(Package.removed_at.is_(None)).options(joinedload(Package.current_release))


def _lookup(model, lookup: str):
    """``model.id == lookup`` for digits (as djangopackages' multi-lookup), else ``model.slug == lookup``."""
    if lookup.isdigit():
        return model.id == int(lookup) if len(lookup) < 10 else model.id == -1
    return model.slug == lookup


# Relations, each one query for a whole page -----------------------------------------------------------


def grid_ids_by_package(package_ids: list[int]) -> dict[int, list[int]]:
    """The ids of the grids each package is in, ascending: one query (none for an empty page)."""
    found: dict[int, list[int]] = defaultdict(list)
    if not package_ids:
        return found
    rows = db.session.execute(
        select(GridPackage.package_id, GridPackage.grid_id)
        .where(GridPackage.package_id.in_(package_ids)).order_by(GridPackage.grid_id)
    )
    for package_id, grid_id in rows:
        found[package_id].append(grid_id)
    return found


def grid_slugs_by_package(package_ids: list[int]) -> dict[int, list[str]]:
    """The slugs of the grids each package is in, by grid id: one query (none for an empty page)."""
    found: dict[int, list[str]] = defaultdict(list)
    if not package_ids:
        return found
    rows = db.session.execute(
        select(GridPackage.package_id, Grid.slug).join(Grid, Grid.id == GridPackage.grid_id)
        .where(GridPackage.package_id.in_(package_ids)).order_by(Grid.id)
    )
    for package_id, slug in rows:
        found[package_id].append(slug)
    return found


def _members(grid_ids: list[int], column):
    found: dict[int, list] = defaultdict(list)
    if not grid_ids:
        return found
    rows = db.session.execute(
        select(GridPackage.grid_id, column).join(Package, Package.id == GridPackage.package_id)
        # By grid first: read from the (grid_id, package_id) index, never by scanning every grid's rows in id order.
        .where(GridPackage.grid_id.in_(grid_ids), Package.removed_at.is_(None))
        .order_by(GridPackage.grid_id, GridPackage.id)
    )
    for grid_id, value in rows:
        found[grid_id].append(value)
    return found


def package_ids_by_grid(grid_ids: list[int]) -> dict[int, list[int]]:
    """The listed packages of each grid, in the order they were added: one query."""
    return _members(grid_ids, Package.id)


def package_slugs_by_grid(grid_ids: list[int]) -> dict[int, list[str]]:
    """The slugs of the listed packages of each grid: one query."""
    return _members(grid_ids, Package.slug)


# API v4 --------------------------------------------------------------------------------------------------


def package_window(limit: int, offset: int) -> tuple[Window, dict[int, list[int]]]:
    """Newest packages first (by id, as djangopackages.org), with their grid ids: three queries."""
    window = _window(listed_packages().order_by(Package.id.desc()), limit, offset, _stored("packages"))
    return window, grid_ids_by_package([package.id for package in window.items])


def package_by_lookup(lookup: str) -> tuple[Package, list[int]] | None:
    """A listed package by id or slug, with its grid ids: two queries (one when missing)."""
    package = db.session.scalar(listed_packages().where(_lookup(Package, lookup)))
    if package is None:
        return None
    return package, grid_ids_by_package([package.id])[package.id]


def category_window(limit: int, offset: int) -> Window:
    """Newest categories first: two queries."""
    return _window(select(Category).order_by(Category.id.desc()), limit, offset, _stored("categories"))


def category_by_id(lookup: str) -> Category | None:
    """A category by numeric id: one query (none for something that is not a number)."""
    if not lookup.isdigit() or len(lookup) >= 10:
        return None
    return db.session.get(Category, int(lookup))


def grid_window(limit: int, offset: int) -> tuple[Window, dict[int, list[int]]]:
    """Newest grids first, with their package ids: three queries."""
    window = _window(select(Grid).order_by(Grid.id.desc()), limit, offset, _stored("grids"))
    return window, package_ids_by_grid([grid.id for grid in window.items])


def grid_by_lookup(lookup: str) -> tuple[Grid, list[int]] | None:
    """A grid by id or slug, with its package ids: two queries (one when missing)."""
    grid = db.session.scalar(select(Grid).where(_lookup(Grid, lookup)))
    if grid is None:
        return None
    return grid, package_ids_by_grid([grid.id])[grid.id]


@dataclass(frozen=True)
class SearchHits:
    packages: list[Package]
    grids: list[Grid]
    last_released: dict[int, datetime | None]
    exact: int  # how many of ``packages`` match the repository URL or the exact name


def search(query: str) -> SearchHits:
    """Packages and grids matching ``query``, best first: three queries (none for an empty query)."""
    if not query.strip():
        return SearchHits(packages=[], grids=[], last_released={}, exact=0)
    planned = plan(query)  # the words, spelling corrected once for both answers
    hits, _total = search_packages(planned, limit=SEARCH_LIMIT)
    grids = search_grids(planned, limit=SEARCH_LIMIT)
    packages = [hit.package for hit in hits]
    return SearchHits(
        packages=packages, grids=grids,
        last_released={package.id: package.current_release.upload_time if package.current_release else None
                       for package in packages},
        exact=sum(1 for hit in hits if hit.rank <= 1),
    )


# API v3 --------------------------------------------------------------------------------------------------


def _v3_packages() -> Select:
    return listed_packages().options(
        joinedload(Package.category), joinedload(Package.created_by), joinedload(Package.last_modified_by)
    )


def v3_package_window(limit: int, offset: int, category: Category | None = None
                      ) -> tuple[Window, dict[int, list[str]]]:
    """Packages in id order (optionally of one category), with their grid slugs: three queries."""
    statement = _v3_packages().order_by(Package.id)
    if category is not None:
        statement = statement.where(Package.category_id == category.id)
    total = category.package_count if category is not None else _stored("packages")
    window = _window(statement, limit, offset, total)
    return window, grid_slugs_by_package([package.id for package in window.items])


def v3_package(slug: str) -> tuple[Package, list[str]] | None:
    """A listed package by slug, with its grid slugs: two queries (one when missing)."""
    package = db.session.scalar(_v3_packages().where(Package.slug == slug))
    if package is None:
        return None
    return package, grid_slugs_by_package([package.id])[package.id]


def category_by_slug(slug: str) -> Category | None:
    """One query."""
    return db.session.scalar(select(Category).where(Category.slug == slug))


def v3_category_window(limit: int, offset: int) -> Window:
    """Categories in id order: two queries."""
    return _window(select(Category).order_by(Category.id), limit, offset, _stored("categories"))


def v3_grid_window(limit: int, offset: int) -> tuple[Window, dict[int, list[str]]]:
    """Grids in id order, with their package slugs: three queries."""
    window = _window(select(Grid).order_by(Grid.id), limit, offset, _stored("grids"))
    return window, package_slugs_by_grid([grid.id for grid in window.items])


def v3_grid(slug: str) -> tuple[Grid, list[str]] | None:
    """A grid by slug with its package slugs: two queries (one when missing)."""
    grid = db.session.scalar(select(Grid).where(Grid.slug == slug))
    if grid is None:
        return None
    return grid, package_slugs_by_grid([grid.id])[grid.id]


def v3_grid_package_window(grid: Grid, limit: int, offset: int) -> tuple[Window, dict[int, list[str]]]:
    """The listed packages of a grid, with their grid slugs: three queries."""
    statement = (_v3_packages().join(GridPackage, GridPackage.package_id == Package.id)
                 .where(GridPackage.grid_id == grid.id).order_by(GridPackage.id))
    window = _window(statement, limit, offset)
    return window, grid_slugs_by_package([package.id for package in window.items])


def v3_user_window(limit: int, offset: int) -> Window:
    """Active users in id order: two queries."""
    return _window(select(User).where(User.is_active.is_(True)).order_by(User.id), limit, offset,
                   _stored("active_users"))


def v3_user(username: str) -> User | None:
    """An active user by username: one query."""
    return db.session.scalar(select(User).where(User.username == username, User.is_active.is_(True)))


def package_slugs_by_creator(user_ids: list[int]) -> dict[int, list[str]]:
    """The listed packages each user added: one query (none for no users)."""
    found: dict[int, list[str]] = defaultdict(list)
    if not user_ids:
        return found
    rows = db.session.execute(
        select(Package.created_by_id, Package.slug)
        .where(Package.created_by_id.in_(user_ids), Package.removed_at.is_(None)).order_by(Package.id)
    )
    for user_id, slug in rows:
        found[user_id].append(slug)
    return found
