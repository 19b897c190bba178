"""Search over packages and grids, ranked so that an exact name or a pasted repo URL comes first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.orm import joinedload

from webapp.catalog.models import Package
from webapp.extensions import db
from webapp.grids.models import Grid
from webapp.repos import parse_repo_url
from webapp.sql_like import contains, starts_with

# Why a result ranks where it does, best first; shown next to each result.
REASONS = {
    0: "repository URL matches",
    1: "exact name",
    2: "name starts with your search",
    3: "name contains your search",
    4: "description mentions your search",
}


@dataclass(frozen=True)
class PackageHit:
    package: Package
    rank: int

    @property
    def reason(self) -> str:
        return REASONS[self.rank]


@dataclass(frozen=True)
class SearchResults:
    query: str
    packages: list[PackageHit]
    grids: list[Grid]
    package_total: int


def _normalised(text: str) -> str:
    return text.strip().lower()


def _slug_form(text: str) -> str:
    return "-".join(_normalised(text).replace("_", "-").split())


def search_packages(query: str, limit: int = 50) -> tuple[list[PackageHit], int]:
    """Ranked package matches and how many there are: two queries."""
    text = _normalised(query)
    if not text:
        return [], 0
    slug = _slug_form(query)
    repo = parse_repo_url(query) if ("/" in text or "." in text) else None
    repo_match = func.lower(Package.repo_url) == repo.url.lower() if repo else literal(False)
    name_exact = or_(func.lower(Package.title) == text, Package.slug == slug)
    name_prefix = or_(starts_with(func.lower(Package.title), text), starts_with(Package.slug, slug))
    name_contains = or_(contains(func.lower(Package.title), text), contains(Package.slug, slug))
    rank = case((repo_match, 0), (name_exact, 1), (name_prefix, 2), (name_contains, 3), else_=4).label("rank")
    condition = or_(repo_match, name_contains, contains(func.lower(Package.repo_description), text))
    base = select(Package, rank).where(Package.removed_at.is_(None), condition)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = db.session.execute(
        base.options(joinedload(Package.category), joinedload(Package.current_release))
        .order_by(rank, Package.score.desc(), Package.repo_watchers.desc(), Package.title).limit(limit)
    )
    return [PackageHit(package=row[0], rank=row[1]) for row in rows], total


def search_grids(query: str, limit: int = 20) -> list[Grid]:
    """Grids whose title or description matches, title matches first: one query."""
    text = _normalised(query)
    if not text:
        return []
    title_contains = contains(func.lower(Grid.title), text)
    rank = case((func.lower(Grid.title) == text, 0), (title_contains, 1), else_=2)
    return list(db.session.scalars(
        select(Grid).where(or_(title_contains, contains(func.lower(Grid.description), text)))
        .order_by(rank, Grid.package_count.desc(), Grid.title).limit(limit)
    ))


def search(query: str, package_limit: int = 50, grid_limit: int = 20) -> SearchResults:
    """Packages and grids for ``query``: three queries."""
    packages, total = search_packages(query, package_limit)
    return SearchResults(query=query, packages=packages, grids=search_grids(query, grid_limit), package_total=total)
