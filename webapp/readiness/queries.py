"""Read models for the readiness pages: a fixed number of queries whatever the size of the catalogue."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from webapp.catalog.models import Package, ReleaseCycle, SupportProduct, Version
from webapp.catalog.support import declares_cycle, version_key
from webapp.db_types import utcnow
from webapp.extensions import db
from webapp.forms import SLUG_PATTERN
from webapp.grids.models import Grid, GridPackage
from webapp.readiness.requirements import normalise_name
from webapp.repos import pypi_name
from webapp.sql_like import contains

CYCLE_PATTERN = re.compile(r"^\d{1,5}(\.\d{1,5}){0,3}$")
# How many of the most used packages a cycle's page weighs.
TOP_PACKAGES = 100


def today() -> date:
    return utcnow().date()


def cycles_by_product() -> dict[SupportProduct, list[ReleaseCycle]]:
    """Every stored cycle, newest first, by product (each product present, maybe empty): one query."""
    result: dict[SupportProduct, list[ReleaseCycle]] = {product: [] for product in SupportProduct}
    for cycle in db.session.scalars(select(ReleaseCycle)):
        if cycle.product in result:
            result[cycle.product].append(cycle)
    for cycles in result.values():
        cycles.sort(key=lambda cycle: version_key(cycle.cycle), reverse=True)
    return result


def find_cycle(product: str, cycle: str) -> ReleaseCycle | None:
    """One product's cycle by its number (``django``, ``5.2``): one query, none for an unknown product."""
    if product not in SupportProduct.__members__.values() or not CYCLE_PATTERN.match(cycle):
        return None
    return db.session.scalar(select(ReleaseCycle).where(ReleaseCycle.product == SupportProduct(product),
                                                         ReleaseCycle.cycle == cycle))


def grid_by_slug(slug: str) -> Grid | None:
    """A grid by its address: one query (none for text that cannot be a slug)."""
    if not SLUG_PATTERN.match(slug):
        return None
    return db.session.scalar(select(Grid).where(Grid.slug == slug))


@dataclass
class Readiness:
    """Packages sorted by what their current release says about one cycle: ready (it declares the cycle), or not
    declared, either released since the cycle came out or not (no release since: it could not have declared it)."""

    cycle: ReleaseCycle
    grid: Grid | None
    ready: list[Package] = field(default_factory=list)
    released_since: list[Package] = field(default_factory=list)
    no_release_since: list[Package] = field(default_factory=list)

    @property
    def not_declared(self) -> list[Package]:
        return self.released_since + self.no_release_since

    @property
    def total(self) -> int:
        return len(self.ready) + len(self.released_since) + len(self.no_release_since)

    @property
    def percent(self) -> int:
        return round(100 * len(self.ready) / self.total) if self.total else 0


def declares(release: Version | None, cycle: ReleaseCycle) -> bool:
    """Whether ``release`` declares support for ``cycle``."""
    return release is not None and declares_cycle(release.declared_versions(cycle.product), cycle.cycle)


def released_before(release: Version | None, cycle: ReleaseCycle) -> bool:
    """Whether ``release`` came out before ``cycle`` did (so it could not have declared it)."""
    return (release is not None and release.upload_time is not None and cycle.release_date is not None
            and release.upload_time.date() < cycle.release_date)


def readiness(cycle: ReleaseCycle, grid: Grid | None = None, top: int = TOP_PACKAGES) -> Readiness:
    """Which packages declare ``cycle``: the ``top`` most used packages with a release (for Wagtail, Wagtail
    packages), or every package of ``grid``. One query."""
    # Django and Wagtail themselves declare no version of themselves: they are not packages for them.
    statement = (select(Package).where(Package.removed_at.is_(None), Package.slug != cycle.product.value)
                 .options(joinedload(Package.current_release)))
    wagtail = cycle.product == SupportProduct.WAGTAIL
    if grid is not None:
        statement = statement.join(GridPackage, GridPackage.package_id == Package.id).where(
            GridPackage.grid_id == grid.id).order_by(Package.score.desc(), Package.title)
        if wagtail:
            statement = statement.join(Version, Version.id == Package.current_release_id).where(
                Version.for_wagtail.is_(True))
    else:
        statement = statement.where(Package.current_release_id.is_not(None)).order_by(
            Package.usage_count.desc(), Package.score.desc(), Package.title).limit(top)
        if wagtail:
            statement = statement.join(Version, Version.id == Package.current_release_id).where(
                Version.for_wagtail.is_(True))
    result = Readiness(cycle=cycle, grid=grid)
    for package in db.session.scalars(statement).unique():
        release = package.current_release
        if declares(release, cycle):
            result.ready.append(package)
        elif released_before(release, cycle):
            result.no_release_since.append(package)
        else:
            result.released_since.append(package)
    return result


def packages_by_name(names: list[str]) -> dict[str, Package]:
    """The listed packages known by each PyPI project name (normalised), with their current release: one query.

    A package answers to its PyPI name, or to its slug when it has no PyPI address.
    """
    if not names:
        return {}
    # Candidates by slug or by a PyPI address containing the name (separators made alike), then checked exactly.
    address = func.lower(func.replace(func.replace(Package.pypi_url, "_", "-"), ".", "-"))
    candidates = db.session.scalars(
        select(Package).where(Package.removed_at.is_(None),
                              or_(Package.slug.in_(names), *(contains(address, name) for name in names)))
        .options(joinedload(Package.current_release)).order_by(Package.usage_count.desc(), Package.id)
    ).unique()
    wanted = set(names)
    found: dict[str, Package] = {}
    for package in candidates:
        project = pypi_name(package.pypi_url)
        name = normalise_name(project) if project else normalise_name(package.slug)
        if name in wanted and name not in found:
            found[name] = package
    return found


@dataclass
class CheckedProject:
    """One project of a pasted requirements file, and what its package's current release declares."""

    name: str  # as the file spells it
    package: Package
    reason: str = ""  # for a blocker: "not declared" or "no release since"


@dataclass
class CheckResult:
    """A requirements file checked against one cycle."""

    cycle: ReleaseCycle
    blocking: list[CheckedProject] = field(default_factory=list)
    ready: list[CheckedProject] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    unreadable: list[tuple[int, str]] = field(default_factory=list)


def check_requirements(cycle: ReleaseCycle, names: list[str], spelled: dict[str, str],
                       unreadable: list[tuple[int, str]]) -> CheckResult:
    """Which of the projects ``names`` (normalised) declare ``cycle``, which do not, which are unknown: one query."""
    known = packages_by_name(names)
    result = CheckResult(cycle=cycle, unreadable=unreadable)
    for name in names:
        if name == cycle.product.value:  # Django or Wagtail itself: what is being upgraded, not a blocker
            continue
        package = known.get(name)
        shown = spelled.get(name, name)
        if package is None:
            result.unknown.append(shown)
        elif declares(package.current_release, cycle):
            result.ready.append(CheckedProject(shown, package))
        else:
            reason = "no release since" if released_before(package.current_release, cycle) else "not declared"
            result.blocking.append(CheckedProject(shown, package, reason))
    return result
