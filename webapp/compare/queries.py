"""Read models for the compare page and the exports: a fixed number of queries whatever the number of packages."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp.catalog.models import Package
from webapp.extensions import db
from webapp.forms import SLUG_MAX
from webapp.grids.models import Element, Feature, Grid, GridPackage
from webapp.grids.queries import (
    DEFAULT_COLUMN_SORT,
    GridColumn,
    add_fixed_row_data,
    package_matches,
    sort_columns,
)

MAX_COMPARED = 20
# Beyond this many comma-separated names the request is refused outright rather than read.
_MAX_READ = 200


@dataclass
class Selection:
    """The packages a compare address names: ``slugs`` in order without repeats (at most :data:`MAX_COMPARED`),
    and how many more it named (``extra``; the page says so)."""

    slugs: list[str] = field(default_factory=list)
    extra: int = 0

    def without(self, slug: str) -> list[str]:
        return [s for s in self.slugs if s != slug]

    def adding(self, slug: str) -> list[str]:
        return self.slugs if slug in self.slugs else [*self.slugs, slug]

    @property
    def full(self) -> bool:
        return len(self.slugs) >= MAX_COMPARED


def selection_from(values: list[str]) -> Selection:
    """Read ``p`` values (several, each a comma-separated list of package slugs) into a :class:`Selection`."""
    slugs: list[str] = []
    seen: set[str] = set()
    names = [name.strip().lower() for value in values[:_MAX_READ] for name in value.split(",", _MAX_READ)]
    for name in names[:_MAX_READ]:
        if name and name not in seen:
            seen.add(name)
            slugs.append(name[:SLUG_MAX + 1])  # a longer name is no slug: it is reported as unknown
    extra = max(len(slugs) - MAX_COMPARED, 0) + max(len(names) - _MAX_READ, 0)
    return Selection(slugs=slugs[:MAX_COMPARED], extra=extra)


def compare_param(slugs: list[str]) -> str | None:
    """The ``p`` value of a compare address for ``slugs`` (None for none)."""
    return ",".join(slugs) or None


@dataclass
class Comparison:
    """The packages of a selection as grid columns (in the order asked), and the names that match no package."""

    columns: list[GridColumn]
    missing: list[str]


def comparison(selection: Selection) -> Comparison:
    """The listed packages a selection names, with what the fixed rows show: two or three queries (none for no
    names), whatever their number."""
    if not selection.slugs:
        return Comparison(columns=[], missing=[])
    packages = {package.slug: package for package in db.session.scalars(
        select(Package).where(Package.slug.in_(selection.slugs), Package.removed_at.is_(None))
        .options(joinedload(Package.category), joinedload(Package.deprecated_by),
                 joinedload(Package.current_release)))}
    columns = [GridColumn(grid_package=None, package=packages[slug]) for slug in selection.slugs if slug in packages]
    add_fixed_row_data(columns)
    return Comparison(columns=columns, missing=[slug for slug in selection.slugs if slug not in packages])


def picker_matches(query: str, selection: Selection, limit: int = 12) -> tuple[list[Package], int]:
    """Packages matching ``query`` that are not compared yet, best first, and how many: two queries (none for a
    blank query)."""
    excluded = select(Package.id).where(Package.slug.in_(selection.slugs)) if selection.slugs else None
    return package_matches(query, excluded=excluded, limit=limit)


@dataclass
class GridExport:
    """A grid as the exports write it: its columns (in the grid page's default order), features and each cell's
    text as written (``texts`` maps (grid-package id, feature id) to the text)."""

    grid: Grid
    columns: list[GridColumn]
    features: list[Feature]
    texts: dict[tuple[int, int], str]


def grid_export(slug: str) -> GridExport | None:
    """A grid with its packages, features and cell texts: four queries whatever its size; None when there is none."""
    grid = db.session.scalar(select(Grid).where(Grid.slug == slug))
    if grid is None:
        return None
    members = db.session.scalars(
        select(GridPackage).join(Package, Package.id == GridPackage.package_id)
        .where(GridPackage.grid_id == grid.id, Package.removed_at.is_(None))
        .options(joinedload(GridPackage.package).joinedload(Package.category),
                 joinedload(GridPackage.package).joinedload(Package.current_release)))
    columns = sort_columns([GridColumn(grid_package=member, package=member.package) for member in members],
                           DEFAULT_COLUMN_SORT)
    features = list(db.session.scalars(select(Feature).where(Feature.grid_id == grid.id).order_by(Feature.id)))
    texts = {(member_id, feature_id): text for member_id, feature_id, text in db.session.execute(
        select(Element.grid_package_id, Element.feature_id, Element.text)
        .join(GridPackage, GridPackage.id == Element.grid_package_id)
        .where(GridPackage.grid_id == grid.id, Element.text != ""))}
    return GridExport(grid=grid, columns=columns, features=features, texts=texts)
