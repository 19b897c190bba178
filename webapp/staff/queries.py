"""Reads for the staff tools and the recent changes: a fixed number of queries per page, whatever the data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from webapp.accounts.models import User
from webapp.catalog.models import Category, Package
from webapp.extensions import db
from webapp.grids.models import Grid
from webapp.history.models import Change
from webapp.pagination import MAX_PAGE, Page, paginate
from webapp.sql_like import contains
from webapp.staff.models import FeaturedGrid, FeaturedPackage

# What the recent changes call each kind of object (the history stores a table's name in the singular).
KIND_LABELS = {
    "package": "package",
    "grid": "grid",
    "feature": "feature",
    "element": "cell",
    "grid_package": "package in a grid",
    "categorie": "category",
    "user": "person",
    "banner": "banner",
    "featured_grid": "featured grid",
    "featured_package": "featured package",
}
CHANGES_PER_PAGE = 50
PEOPLE_PER_PAGE = 50


# -- recent changes ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeRow:
    """A recorded change with the names of what it is listed under, as they are now."""

    change: Change
    package_slug: str | None
    package_title: str | None
    grid_slug: str | None
    grid_title: str | None

    @property
    def kind(self) -> str:
        return KIND_LABELS.get(self.change.object_type, self.change.object_type.replace("_", " "))


@dataclass(frozen=True)
class ChangesPage:
    rows: list[ChangeRow]
    older: int | None  # the ``before`` of the next (older) page, None on the last page
    person: str
    kind: str
    grid: str


def _change_rows(statement: Select, limit: int) -> tuple[list[ChangeRow], bool]:
    rows = db.session.execute(
        statement.add_columns(Package.slug, Package.title, Grid.slug, Grid.title)
        .outerjoin(Package, Package.id == Change.package_id).outerjoin(Grid, Grid.id == Change.grid_id)
        .options(joinedload(Change.user)).order_by(Change.id.desc()).limit(limit + 1)).all()
    return [ChangeRow(*row) for row in rows[:limit]], len(rows) > limit


def recent_changes(*, person: str = "", kind: str = "", grid: str = "", before: int | None = None,
                   per_page: int = CHANGES_PER_PAGE) -> ChangesPage:
    """Every recorded change, newest first, filtered by person (username), kind and grid (slug); a page ends
    at ``before`` (a change id: keyset pagination, so a page costs the same however deep). One query."""
    statement = select(Change)
    if person:
        statement = statement.where(Change.user_id == select(User.id).where(
            func.lower(User.username) == person.lower()).scalar_subquery())
    if kind:
        statement = statement.where(Change.object_type == kind)
    if grid:
        statement = statement.where(Change.grid_id == select(Grid.id).where(Grid.slug == grid).scalar_subquery())
    if before is not None:
        statement = statement.where(Change.id < before)
    rows, more = _change_rows(statement, per_page)
    return ChangesPage(rows=rows, older=rows[-1].change.id if more and rows else None, person=person, kind=kind,
                       grid=grid)


@dataclass(frozen=True)
class RowsPage:
    """One page of rows, shaped like :class:`webapp.pagination.Page` for the pagination partial."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def person_changes(user_id: int, page: int, per_page: int = CHANGES_PER_PAGE) -> RowsPage:
    """A page of everything one person did, newest first: two queries (the count and the page)."""
    total = db.session.scalar(select(func.count()).select_from(Change).where(Change.user_id == user_id)) or 0
    page = min(max(1, page), max(1, -(-total // per_page)), MAX_PAGE // per_page)
    rows, _more = _change_rows(select(Change).where(Change.user_id == user_id).offset((page - 1) * per_page),
                               per_page)
    return RowsPage(items=rows, page=page, per_page=per_page, total=total)


# -- people -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    user: User
    edits: int


def people(*, q: str = "", show: str = "", page: int = 1) -> Page:
    """A page of accounts, newest first, matching ``q`` (username, display name), ``show`` one of "staff",
    "blocked": three queries (the page, the count, and the number of edits of each person on the page)."""
    statement = select(User).order_by(User.created.desc(), User.id.desc())
    if q:
        statement = statement.where(or_(contains(User.username, q), contains(User.display_name, q)))
    if show == "staff":
        statement = statement.where(User.is_staff.is_(True))
    elif show == "blocked":
        statement = statement.where(User.blocked_at.is_not(None))
    result = paginate(statement, page, PEOPLE_PER_PAGE)
    ids = [user.id for user in result.items]
    edits = dict(db.session.execute(select(Change.user_id, func.count()).where(Change.user_id.in_(ids))
                                    .group_by(Change.user_id)).all()) if ids else {}
    result.items = [PersonRow(user, edits.get(user.id, 0)) for user in result.items]
    return result


def person_or_none(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


# -- categories and the home page -------------------------------------------------------------------------------


def categories_in_order() -> list[Category]:
    """Every category in list order: one query."""
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.title, Category.id)))


@dataclass(frozen=True)
class HomeChoices:
    grids: list[FeaturedGrid]
    package: FeaturedPackage | None


def home_choices() -> HomeChoices:
    """The featured grids in order and the featured package: two queries."""
    grids = list(db.session.scalars(select(FeaturedGrid).options(joinedload(FeaturedGrid.grid))
                                    .order_by(FeaturedGrid.position, FeaturedGrid.id)))
    package = db.session.scalar(select(FeaturedPackage).options(joinedload(FeaturedPackage.package)).limit(1))
    return HomeChoices(grids=grids, package=package)


def grid_by_slug(slug: str) -> Grid | None:
    return db.session.scalar(select(Grid).where(Grid.slug == slug))


def package_by_slug(slug: str) -> Package | None:
    return db.session.scalar(select(Package).where(Package.slug == slug))


def category_by_id(category_id: int) -> Category | None:
    return db.session.get(Category, category_id)


def featured_grid_by_id(featured_id: int) -> FeaturedGrid | None:
    return db.session.get(FeaturedGrid, featured_id)


def recent_banners(limit: int = 10):
    """The latest banners, newest first: one query."""
    from webapp.staff.models import Banner

    return list(db.session.scalars(select(Banner).order_by(Banner.id.desc()).limit(limit)))
