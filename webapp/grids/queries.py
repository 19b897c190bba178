"""Read models for grid pages: a fixed number of queries whatever the size of the grid."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cache

from sqlalchemy import Select, and_, bindparam, case, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import joinedload

from webapp import counters
from webapp.catalog.models import Favorite, Package, Usage, Version
from webapp.catalog.queries import VulnerabilityReport, vulnerabilities_of
from webapp.catalog.support import newest_key
from webapp.catalog.trends import stars_since
from webapp.extensions import db
from webapp.grids.models import GRID_LIST_ORDERS, Element, Feature, Grid, GridOldSlug, GridPackage
from webapp.pagination import Page, paginate
from webapp.sql_like import contains, starts_with

GRID_SORTS = {
    key: (label, GRID_LIST_ORDERS[key])
    for key, label in (("popular", "Most packages"), ("title", "Title"), ("newest", "Newest"),
                       ("updated", "Recently updated"))
}
DEFAULT_GRID_SORT = "popular"

# How long without a commit before a package counts as stale in a grid.
STALE_AFTER = timedelta(days=365)


def grid_list_statement(sort: str) -> Select:
    """Every grid in the order ``sort``, as the grid list reads them."""
    return select(Grid).order_by(*GRID_SORTS.get(sort, GRID_SORTS[DEFAULT_GRID_SORT])[1]())


def grid_page(*, query: str = "", sort: str = DEFAULT_GRID_SORT, page: int = 1, per_page: int = 30) -> Page:
    """One page of grids, filtered and sorted: two queries (the total of an unfiltered list is stored)."""
    statement = grid_list_statement(sort)
    if query.strip():
        text = query.strip().lower()
        statement = statement.where(or_(contains(func.lower(Grid.title), text),
                                        contains(func.lower(Grid.description), text)))
        return paginate(statement, page, per_page)
    return paginate(statement, page, per_page, total=counters.read("grids")["grids"])


@dataclass(slots=True)
class GridColumn:
    """A package as a grid column, with what the fixed rows show; ``cells`` maps a feature id to the cell's
    stored HTML (plain strings, no ORM object per cell)."""

    grid_package: GridPackage
    package: Package
    cells: dict[int, str] = field(default_factory=dict)
    used_by_me: bool = False
    favorited_by_me: bool = False
    # Each numeric row's value as a share of the grid's largest, in 5% steps (the bar drawn under the number).
    bars: dict[str, int] = field(default_factory=dict)
    # The known vulnerabilities the "Health" row lists (webapp.catalog.queries.vulnerabilities_of), if any.
    vulnerabilities: VulnerabilityReport | None = None
    # Stars gained since the oldest snapshot of the last 90 days, and that snapshot's day (None without one).
    stars_gained: int | None = None
    stars_gained_since: date | None = None

    @property
    def release(self) -> Version | None:
        """The package's current release: what the "Latest release", Python 3, status and licence rows show."""
        return self.package.current_release

    @property
    def is_stale(self) -> bool:
        last = self.package.last_commit_date
        return last is not None and last < datetime.now(timezone.utc) - STALE_AFTER

    @property
    def is_stale_or_gone(self) -> bool:
        """Archived, deprecated or without a commit for a year: what the grid's toggle hides."""
        return self.package.is_archived or self.package.is_deprecated or self.is_stale


# Columns can be sorted by any fixed row. Each key maps to (label, key function, descending?).
COLUMN_SORTS = {
    "title": ("Name", lambda c: c.package.title.lower(), False),
    "stars": ("Stars", lambda c: c.package.repo_watchers or 0, True),
    "forks": ("Forks", lambda c: c.package.repo_forks or 0, True),
    "usage": ("Users", lambda c: c.package.usage_count or 0, True),
    "score": ("Score", lambda c: c.package.score or 0, True),
    "last-commit": ("Last commit", lambda c: c.package.last_commit_date or datetime.min.replace(tzinfo=timezone.utc),
                    True),
    "stars-gained": ("Stars gained (90 days)", lambda c: c.stars_gained if c.stars_gained is not None else -2**31,
                     True),
    "commits": ("Commit activity", lambda c: sum(c.package.commits_over_52 or []), True),
    "release": ("Latest release", lambda c: (c.release.upload_time if c.release and c.release.upload_time
                                             else datetime.min.replace(tzinfo=timezone.utc)), True),
    "python3": ("Python 3", lambda c: (c.release.supports_python3 is True) if c.release else False, True),
    # The newest version the current release declares first (then how many it declares).
    "django": ("Django versions", lambda c: newest_key(c.release.django_versions if c.release else []), True),
    "python": ("Python versions", lambda c: newest_key(c.release.python_versions if c.release else []), True),
    "category": ("Category", lambda c: c.package.category.title.lower(), False),
}
DEFAULT_COLUMN_SORT = "score"


@dataclass
class GridDetail:
    grid: Grid
    columns: list[GridColumn]
    features: list[Feature]
    hidden_count: int
    total_count: int
    demo: bool


def grid_detail(slug: str, *, sort: str = DEFAULT_COLUMN_SORT, hide_stale: bool = False,
                viewer_id: int | None = None) -> GridDetail | None:
    """A grid with its columns, features and cells: four queries (five with a signed-in viewer)."""
    statements = _grid_statements()
    grid = db.session.scalar(statements.grid, {"slug": slug})
    if grid is None:
        return None
    grid_packages = list(db.session.scalars(statements.members, {"grid_id": grid.id}))
    features = list(db.session.scalars(statements.features, {"grid_id": grid.id}))
    # Plain (column, feature, html) tuples: a grid of 150 packages has thousands of cells.
    elements = db.session.execute(statements.cells, {"grid_id": grid.id}).all()
    used, favorited = set(), set()
    if viewer_id is not None and grid_packages:
        # What the viewer uses and starred among the columns, in one query.
        package_ids = [gp.package_id for gp in grid_packages]
        rows = db.session.execute(union_all(
            select(Usage.package_id, literal("use")).where(Usage.user_id == viewer_id,
                                                           Usage.package_id.in_(package_ids)),
            select(Favorite.package_id, literal("star")).where(Favorite.user_id == viewer_id,
                                                               Favorite.package_id.in_(package_ids)))).all()
        used = {package_id for package_id, kind in rows if kind == "use"}
        favorited = {package_id for package_id, kind in rows if kind == "star"}
    columns = {gp.id: GridColumn(grid_package=gp, package=gp.package, used_by_me=gp.package_id in used,
                                 favorited_by_me=gp.package_id in favorited)
               for gp in grid_packages}
    add_fixed_row_data(list(columns.values()))
    for grid_package_id, feature_id, html in elements:
        column = columns.get(grid_package_id)
        if column is not None:
            column.cells[feature_id] = html
    ordered = sort_columns(list(columns.values()), sort)
    visible = [c for c in ordered if not c.is_stale_or_gone] if hide_stale else ordered
    return GridDetail(
        grid=grid, columns=visible, features=features, hidden_count=len(ordered) - len(visible),
        total_count=len(ordered), demo=any(c.package.stats_are_demo for c in ordered),
    )


# What the grid's columns read of a package and its current release: the rest (a stored trend chart, the
# participants, the raw classifiers, fetch bookkeeping) is not loaded, and reading it would raise rather than
# quietly cost a query per column.
COLUMN_PACKAGE_FIELDS = (
    Package.id, Package.title, Package.slug, Package.category_id, Package.repo_url, Package.pypi_url,
    Package.documentation_url, Package.repo_description, Package.repo_watchers, Package.repo_forks,
    Package.commits_over_52, Package.commits_sparkline, Package.pypi_version, Package.last_commit_date,
    Package.date_repo_archived, Package.deprecated_by_id, Package.deprecation_note, Package.deprecation_status,
    Package.vulnerability_count, Package.score, Package.usage_count, Package.favorite_count, Package.stats_are_demo,
    Package.removed_at, Package.current_release_id,
)
COLUMN_RELEASE_FIELDS = (
    Version.id, Version.package_id, Version.number, Version.license, Version.upload_time,
    Version.development_status, Version.supports_python3, Version.django_versions, Version.python_versions,
    Version.wagtail_versions, Version.for_wagtail,
)


def column_loading(package):
    """Loader options for a package shown as a grid or compare column (``package``: the loader that reaches it,
    e.g. ``joinedload(GridPackage.package)``): its category, replacement and current release joined, and only the
    fields the columns show."""
    return (package.load_only(*COLUMN_PACKAGE_FIELDS, raiseload=True),
            package.joinedload(Package.category),
            package.joinedload(Package.deprecated_by).load_only(Package.id, Package.slug, Package.title,
                                                                raiseload=True),
            package.joinedload(Package.current_release).load_only(*COLUMN_RELEASE_FIELDS, raiseload=True))


@dataclass(frozen=True)
class _GridStatements:
    grid: Select
    members: Select
    features: Select
    cells: Select


@cache
def _grid_statements() -> _GridStatements:
    # Built once per process: a statement with its loader options costs more to build than to run.
    grid_id = bindparam("grid_id")
    return _GridStatements(
        grid=select(Grid).where(Grid.slug == bindparam("slug")),
        members=(select(GridPackage).join(Package, Package.id == GridPackage.package_id)
                 .where(GridPackage.grid_id == grid_id, Package.removed_at.is_(None))
                 .options(*column_loading(joinedload(GridPackage.package)))),
        features=select(Feature).where(Feature.grid_id == grid_id).order_by(Feature.id),
        cells=(select(Element.grid_package_id, Element.feature_id, Element.text_html)
               .join(GridPackage, GridPackage.id == Element.grid_package_id)
               .where(GridPackage.grid_id == grid_id, Element.text_html != "")),
    )


def add_fixed_row_data(columns: list[GridColumn]) -> None:
    """Give columns what the fixed rows show beyond the package itself (stars gained, relative bars, known
    vulnerabilities): one or two queries whatever the number of columns. The grid and compare pages both call it."""
    add_stars_gained(columns)
    add_relative_bars(columns)
    # Asked only when a column has known vulnerabilities (their count is stored on the package).
    reports = vulnerabilities_of([column.package.id for column in columns if column.package.vulnerability_count])
    for column in columns:
        column.vulnerabilities = reports.get(column.package.id)


def add_stars_gained(columns: list[GridColumn], today: date | None = None) -> None:
    """Set each column's stars gained over the last 90 days (webapp.catalog.trends): one query."""
    baselines = stars_since([column.package.id for column in columns], today or datetime.now(timezone.utc).date())
    for column in columns:
        if column.package.id in baselines:
            column.stars_gained_since, stars = baselines[column.package.id]
            column.stars_gained = (column.package.repo_watchers or 0) - stars


# The numeric rows drawn with a bar relative to the grid's leader: row key -> the value of a column.
BAR_ROWS = {
    "stars": lambda c: c.package.repo_watchers or 0,
    "forks": lambda c: c.package.repo_forks or 0,
    "usage": lambda c: c.package.usage_count or 0,
}


def add_relative_bars(columns: list[GridColumn]) -> None:
    """Set each column's ``bars``: its stars, forks and users as a percentage of the largest in the grid,
    rounded to 5% (a bar of 0 for none, a little one for any value above none; no bars in a row of zeros)."""
    for key, value_of in BAR_ROWS.items():
        peak = max((value_of(column) for column in columns), default=0)
        if not peak:
            continue  # nobody has any: no bars
        for column in columns:
            value = value_of(column)
            column.bars[key] = 0 if value <= 0 else max(5, round(value / peak * 20) * 5)


def sort_columns(columns: list[GridColumn], sort: str) -> list[GridColumn]:
    """Order columns by a fixed row, deprecated packages last; ties keep alphabetical order."""
    _label, key, descending = COLUMN_SORTS.get(sort, COLUMN_SORTS[DEFAULT_COLUMN_SORT])
    columns = sorted(columns, key=lambda c: c.package.title.lower())
    columns = sorted(columns, key=key, reverse=descending)
    # Deprecated or unmaintained packages last, whatever the order: a grid recommends the others first.
    return sorted(columns, key=lambda c: c.package.is_deprecated)


# -- reads for the editing pages ---------------------------------------------------------------------------------


def grid_by_slug(slug: str) -> Grid | None:
    """A grid by its address: one query."""
    return db.session.scalar(select(Grid).where(Grid.slug == slug))


def renamed_to(old_slug: str) -> str | None:
    """The current address of the grid that had ``old_slug`` before a rename, or None: one query."""
    return db.session.scalar(select(Grid.slug).join(GridOldSlug, GridOldSlug.grid_id == Grid.id)
                             .where(GridOldSlug.slug == old_slug))


def grid_or_404(slug: str) -> Grid:
    """A grid by its address; a 404 page saying so when there is none."""
    return db.first_or_404(select(Grid).where(Grid.slug == slug), description=f"There is no grid “{slug}”.")


def package_by_id(package_id: int) -> Package | None:
    """A package by its id: one query."""
    return db.session.get(Package, package_id)


def grid_member(grid: Grid, grid_package_id: int) -> GridPackage | None:
    """A package of ``grid`` (by its grid-package id) with the package loaded: one query."""
    return db.session.scalar(
        select(GridPackage).where(GridPackage.id == grid_package_id, GridPackage.grid_id == grid.id)
        .options(joinedload(GridPackage.package))
    )


def grid_feature(grid: Grid, feature_id: int) -> Feature | None:
    """A feature row of ``grid``: one query."""
    return db.session.scalar(select(Feature).where(Feature.id == feature_id, Feature.grid_id == grid.id))


def filled_cell_count(feature: Feature) -> int:
    """How many cells of a feature row have text: one query."""
    return db.session.scalar(select(func.count()).select_from(Element).where(
        Element.feature_id == feature.id, Element.text != "")) or 0


@dataclass
class CellContext:
    """One cell of a grid and what it belongs to; ``element`` is None for a cell nobody has written yet."""

    grid: Grid
    member: GridPackage
    feature: Feature
    element: Element | None

    @property
    def column(self) -> GridColumn:
        """The cell as a one-cell grid column, the shape the cell templates expect."""
        cells = {self.feature.id: self.element.text_html} if self.element is not None else {}
        return GridColumn(grid_package=self.member, package=self.member.package, cells=cells)


def cell_context(slug: str, grid_package_id: int, feature_id: int) -> CellContext | None:
    """The cell at (package column, feature row) of the grid ``slug``, in one query.

    None when the grid does not exist, or the column or row is not in it, or the package was removed.
    """
    row = db.session.execute(
        select(Grid, GridPackage, Feature, Element)
        .join(GridPackage, GridPackage.grid_id == Grid.id)
        .join(Package, Package.id == GridPackage.package_id)
        .join(Feature, Feature.grid_id == Grid.id)
        .outerjoin(Element, and_(Element.grid_package_id == GridPackage.id, Element.feature_id == Feature.id))
        .where(Grid.slug == slug, GridPackage.id == grid_package_id, Feature.id == feature_id,
               Package.removed_at.is_(None))
        .options(joinedload(GridPackage.package))
    ).first()
    if row is None:
        return None
    return CellContext(grid=row[0], member=row[1], feature=row[2], element=row[3])


def package_choices(grid: Grid, query: str, limit: int = 20) -> tuple[list[Package], int]:
    """Packages matching ``query`` that are not in ``grid`` yet, best names first, and how many: two queries."""
    in_grid = select(GridPackage.package_id).where(GridPackage.grid_id == grid.id)
    return package_matches(query, excluded=in_grid, limit=limit)


def package_matches(query: str, *, excluded=None, limit: int = 20) -> tuple[list[Package], int]:
    """Listed packages matching ``query`` but for the ids ``excluded`` (a list or a subquery), best names first, and
    how many: two queries (none for a blank ``query``). The package pickers' search (grids, compare)."""
    text = query.strip().lower()
    if not text:
        return [], 0
    slug = "-".join(text.replace("_", "-").split())
    condition = or_(contains(func.lower(Package.title), text), contains(Package.slug, slug),
                    contains(func.lower(Package.repo_description), text),
                    contains(func.lower(Package.repo_url), text))
    base = select(Package).where(Package.removed_at.is_(None), condition)
    if excluded is not None:
        base = base.where(Package.id.not_in(excluded))
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rank = case(
        (or_(func.lower(Package.title) == text, Package.slug == slug), 0),
        (or_(starts_with(func.lower(Package.title), text), starts_with(Package.slug, slug)), 1),
        (contains(func.lower(Package.title), text), 2),
        else_=3,
    )
    packages = list(db.session.scalars(
        base.options(joinedload(Package.category))
        .order_by(rank, Package.score.desc(), Package.repo_watchers.desc(), Package.title).limit(limit)
    ))
    return packages, total


def gridded_by_others(package_id: int, creator_id: int | None):
    """An SQL condition: the package sits in a grid that someone other than ``creator_id`` put it in (or that
    nobody known did)."""
    where = [GridPackage.package_id == package_id]
    if creator_id is not None:
        where.append(or_(GridPackage.added_by_id.is_(None), GridPackage.added_by_id != creator_id))
    return exists().where(*where)
